package vigil

import (
	"fmt"
	"testing"
)

func TestUserCacheKeepsTheNewestStateAndItsBound(t *testing.T) {
	c := newUserCache(3)
	put := func(userID, uid string, seq int64) {
		c.put(UserRecord{TenantID: "t", UserID: userID, UID: uid, LastSeq: seq, Profile: []byte("{}")}, userState{})
	}
	seqOf := func(userID string) (string, int64, bool) {
		rec, _, ok := c.get("t", userID)
		return rec.UID, rec.LastSeq, ok
	}

	put("a", "uid-a", 5)
	put("a", "uid-a", 4) // an older write that finished last
	if _, seq, _ := seqOf("a"); seq != 5 {
		t.Errorf("after an older write: LastSeq %d, want 5", seq)
	}
	put("a", "uid-a2", 1) // recreated under the same id: another user
	if uid, seq, _ := seqOf("a"); uid != "uid-a2" || seq != 1 {
		t.Errorf("after a new user with the same id: %s/%d, want uid-a2/1", uid, seq)
	}
	if rec, _, _ := c.get("t", "a"); rec.Profile != nil {
		t.Errorf("the cache keeps the large columns: %q", rec.Profile)
	}
	for i := range 10 {
		put(fmt.Sprint("u", i), "x", 1)
	}
	if len(c.users) != 3 {
		t.Errorf("%d users cached, want the bound 3", len(c.users))
	}
	if _, _, ok := newUserCache(-1).get("t", "a"); ok {
		t.Error("a disabled cache returned a user")
	}
}
