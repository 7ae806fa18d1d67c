package vigil

import (
	"sync"

	"github.com/vigil-aml/vigil/internal/risk"
)

// DefaultUserCacheBytes bounds the user cache when Options.UserCacheBytes is zero: 64 MiB of the
// cached users' stored JSON (profile, rule state, and the fold window's base and entries; the
// risk state, stored packed, counts as the length of its JSON). Decoded, a user takes several
// times its JSON in memory; BENCHMARKS.md ("Numbers behind the code's settings") has how many
// users that is and the memory it takes.
const DefaultUserCacheBytes = 64 << 20

// userCache keeps the decoded state of recently written users, so the next in-order event for
// one of them is computed without reading and decoding its row again. It is only a hint: the
// write transaction checks that the user's history has not moved since (UID and LastSeq) and
// computes again from the locked row otherwise. A stale entry (another process wrote, the user
// was renamed or updated by another path) costs a recomputation, never a wrong answer.
type userCache struct {
	mu sync.Mutex
	// budget and used are in bytes of stored JSON.
	budget, used int64
	users        map[userKey]cachedUser
}

type userKey struct{ tenantID, userID string }

// cachedUser is a user's row without its large columns (a write rewrites them all), its decoded
// state, and the size of the JSON it was decoded from.
type cachedUser struct {
	rec   UserRecord
	state userState
	size  int64
}

func newUserCache(budget int64) *userCache {
	return &userCache{budget: budget, users: make(map[userKey]cachedUser)}
}

// get returns a user's cached row and state.
func (c *userCache) get(tenantID, userID string) (UserRecord, userState, bool) {
	if c.budget <= 0 {
		return UserRecord{}, userState{}, false
	}
	c.mu.Lock()
	u, ok := c.users[userKey{tenantID, userID}]
	c.mu.Unlock()
	return u.rec, u.state, ok
}

// put records a user's row (as written) and state after a durable write. Writes to one user can
// finish in any order, so an entry never goes back to an older state of the same user.
func (c *userCache) put(rec UserRecord, state userState) {
	size := int64(len(rec.Profile)+riskJSONSize(state.risk)+len(rec.Rules)+len(rec.FoldIndex)) + state.window.size(len(rec.Profile))
	if size > c.budget {
		return
	}
	rec.Profile, rec.Evaluation, rec.Risk, rec.Rules = nil, nil, nil, nil
	key := userKey{rec.TenantID, rec.UserID}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.users[key]
	if ok && old.rec.UID == rec.UID && old.rec.LastSeq >= rec.LastSeq {
		return
	}
	if ok {
		c.remove(key, old)
	}
	// Only a full cache starts an iteration: starting one on a large map costs more than the rest
	// of put.
	if c.used+size > c.budget {
		for k, u := range c.users { // map order is random: this evicts arbitrary users
			if c.used+size <= c.budget {
				break
			}
			c.remove(k, u)
		}
	}
	c.users[key] = cachedUser{rec: rec, state: state, size: size}
	c.used += size
}

// riskJSONSize is about the length of a risk state's JSON: the row stores it packed, a fifth of
// that, but decoded it takes as much memory as before, and the budget is set in JSON bytes.
func riskJSONSize(st risk.State) int {
	if len(st.Factors) == 0 && st.ModelName == "" {
		return 0 // not assessed
	}
	n := 300 // the scores, the activity and the model's name
	for _, f := range st.Factors {
		n += 80 + len(f.ID) + len(f.Name) + len(f.Value)
	}
	for _, f := range st.Floors {
		n += 4 + len(f)
	}
	return n
}

func (c *userCache) remove(key userKey, u cachedUser) {
	delete(c.users, key)
	c.used -= u.size
}

// forget drops a user from the cache (an erasure: its personal data must leave memory too).
func (c *userCache) forget(tenantID, userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := userKey{tenantID, userID}
	if u, ok := c.users[key]; ok {
		c.remove(key, u)
	}
}
