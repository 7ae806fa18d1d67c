package vigil

import "sync"

// DefaultUserCacheSize is how many users the service keeps decoded when Options.UserCacheSize
// is zero: a few hundred megabytes at most for realistic profiles.
const DefaultUserCacheSize = 50_000

// userCache keeps the decoded state of recently written users, so the next in-order event for
// one of them is computed without reading and decoding its row again. It is only a hint: the
// write transaction checks that the user's history has not moved since (UID and LastSeq) and
// computes again from the locked row otherwise. A stale entry (another process wrote, the user
// was renamed or updated by another path) costs a recomputation, never a wrong answer.
type userCache struct {
	mu    sync.Mutex
	size  int
	users map[userKey]cachedUser
}

type userKey struct{ tenantID, userID string }

// cachedUser is a user's row without its large columns (a write rewrites them all) and its
// decoded state.
type cachedUser struct {
	rec   UserRecord
	state userState
}

func newUserCache(size int) *userCache {
	return &userCache{size: size, users: make(map[userKey]cachedUser)}
}

// get returns a user's cached row and state.
func (c *userCache) get(tenantID, userID string) (UserRecord, userState, bool) {
	if c.size <= 0 {
		return UserRecord{}, userState{}, false
	}
	c.mu.Lock()
	u, ok := c.users[userKey{tenantID, userID}]
	c.mu.Unlock()
	return u.rec, u.state, ok
}

// put records a user's row and state after a durable write. Writes to one user can finish in
// any order, so an entry never goes back to an older state of the same user.
func (c *userCache) put(rec UserRecord, state userState) {
	if c.size <= 0 {
		return
	}
	rec.Profile, rec.Evaluation, rec.Risk, rec.Rules = nil, nil, nil, nil
	key := userKey{rec.TenantID, rec.UserID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.users[key]; ok && old.rec.UID == rec.UID && old.rec.LastSeq >= rec.LastSeq {
		return
	}
	if len(c.users) >= c.size {
		for k := range c.users { // map order is random: this evicts an arbitrary user
			delete(c.users, k)
			break
		}
	}
	c.users[key] = cachedUser{rec: rec, state: state}
}
