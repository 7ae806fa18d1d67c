package vigil

import (
	"fmt"
	"testing"
)

func TestUserCacheKeepsTheNewestStateWithinItsBudget(t *testing.T) {
	const userSize = 70 // bytes of JSON per user below (a risk state counts as its JSON would: none here)
	c := newUserCache(3 * userSize)
	put := func(userID, uid string, seq int64) {
		c.put(UserRecord{TenantID: "t", UserID: userID, UID: uid, LastSeq: seq,
			Profile: make([]byte, 60), Risk: make([]byte, 30), Rules: make([]byte, 10)}, userState{})
	}
	version := func(userID string) (string, int64) {
		rec, _, _ := c.get("t", userID)
		return rec.UID, rec.LastSeq
	}

	put("a", "uid-a", 5)
	put("a", "uid-a", 4) // an older write that finished last
	if _, seq := version("a"); seq != 5 {
		t.Errorf("after an older write: LastSeq %d, want 5", seq)
	}
	put("a", "uid-a2", 1) // recreated under the same id: another user
	if uid, seq := version("a"); uid != "uid-a2" || seq != 1 {
		t.Errorf("after a new user with the same id: %s/%d, want uid-a2/1", uid, seq)
	}
	if rec, _, _ := c.get("t", "a"); rec.Profile != nil || rec.Risk != nil {
		t.Error("the cache keeps the large columns")
	}
	if c.used != userSize {
		t.Errorf("used %d bytes for one user, want %d", c.used, userSize)
	}
	for i := range 10 {
		put(fmt.Sprint("u", i), "x", 1)
	}
	if len(c.users) != 3 || c.used != 3*userSize {
		t.Errorf("%d users in %d bytes, want 3 in the budget of %d", len(c.users), c.used, 3*userSize)
	}
	c.put(UserRecord{TenantID: "t", UserID: "huge", Profile: make([]byte, 4*userSize)}, userState{})
	if _, _, ok := c.get("t", "huge"); ok || len(c.users) != 3 {
		t.Error("a user larger than the whole budget was cached, or evicted the others")
	}
	assessed := newUserCache(1 << 20)
	st := userState{risk: defaultState(t)}
	assessed.put(UserRecord{TenantID: "t", UserID: "r", Risk: packRisk(st.risk)}, st)
	if json := len(st.risk.AppendJSON(nil)); assessed.used < int64(json)*9/10 || assessed.used > int64(json)*11/10 {
		t.Errorf("a risk state of %d bytes of JSON, packed, counted as %d", json, assessed.used)
	}
	if _, _, ok := newUserCache(-1).get("t", "a"); ok {
		t.Error("a disabled cache returned a user")
	}
}
