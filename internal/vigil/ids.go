package vigil

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// TimeOrderedUUID returns a version 7 UUID: the current Unix time in milliseconds in its first
// 48 bits, then 74 random bits. It is the default id of every stored row (users' internal uid,
// audit records, batches, deliveries).
//
// Why not random (version 4) ids: those ids lead several B-tree indexes (users by uid, the
// history by uid and sequence, search terms by user, audit records, batch records by user), and
// a random key sends each insert to a random leaf. Once an index outgrew the page cache, every
// new user read and dirtied a leaf of its own in each of them, and each dirtied page is written
// twice (the WAL, then the checkpoint): 250 KB written per user of about 23 KB stored, a share
// that grew with the database (BENCHMARKS.md, "Loading many users"). Time-ordered ids
// land at the right edge of those indexes, so a commit's new keys share a few leaves. The 74
// random bits keep ids unguessable and unique across processes; ids made in the same
// millisecond are not ordered among themselves, which nothing relies on.
func TimeOrderedUUID() string {
	return timeOrderedUUID(time.Now())
}

func timeOrderedUUID(now time.Time) string {
	var b [16]byte
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(b[:6], ms[2:])
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
