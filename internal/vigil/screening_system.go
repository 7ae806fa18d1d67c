package vigil

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/screening"
)

// A screening that changes what a user matches without a write of the user (a list's new or
// changed entries found it: ongoing screening; or a match was cleared) is a SYSTEM write on the
// user through the one write path: rules, risk and webhooks run as for any write, the user's
// newest evaluation is the screening's, and its history records it as an entry of type SYSTEM
// whose patch changes nothing of the profile. The screening itself is made before the unit,
// outside the store's writer; the unit only stores it, and leaves the user alone when its names
// changed meanwhile (that write screened them against every list).

// systemScreen is a SYSTEM write of a screening on the write path (unit.go).
type systemScreen struct {
	tenant   Tenant
	userID   string
	rs       ruleContext
	screened screenOutcome
	// reason is what the entry records ("ongoing" or "cleared").
	reason string
	ahead  *userOutcome
	// stale and handedBack as in userWrite; skipped when the user is gone or renamed.
	stale      bool
	handedBack int
	skipped    bool
}

// systemOutcome computes the write on the user's row, or nil when the screening no longer
// fits the user's names.
func (s *Service) systemOutcome(w *systemScreen, rs ruleContext, rec UserRecord) (*userOutcome, error) {
	before, err := decodeUserState(rec)
	if err != nil {
		return nil, fmt.Errorf("decode user %q: %w", rec.UserID, err)
	}
	if subjectsKey(screeningSubjects(rec.Kind, rec.UserID, before.profile)) != w.screened.state.Key {
		return nil, nil
	}
	previous := before.profile
	current := replaceTopLevel(nil, previous)
	now := s.now()
	body := map[string]any{"patch": schema.Object{}, "screening": w.reason}
	entry := Entry{TenantID: rec.TenantID, UserUID: rec.UID, Seq: rec.LastSeq + 1, Type: EntrySystem,
		Timestamp: max(now.UnixMilli(), rec.MaxTimestamp), Body: mustEncode(body), CreatedAt: now.UnixMilli()}
	out, err := s.evaluate(w.tenant, evaluationInput{kind: rec.Kind, stage: stageUpdate, at: entry.Timestamp,
		model: rs.model, rules: rs.set, previous: previous, current: current, request: schema.Object{},
		risk: before.risk, ruleState: before.rules, notify: len(rs.endpoints) > 0, rescreen: &w.screened}, now)
	if err != nil {
		return nil, err
	}
	return s.userPlan(rs, rec, current, out, entry, rec.LastSeq, false), nil
}

func (w *systemScreen) computeAhead(ctx context.Context, s *Service) {
	w.ahead = nil
	if rec, err := s.store.User(ctx, w.tenant.ID, w.userID); err == nil {
		w.ahead, _ = s.systemOutcome(w, w.rs, rec)
	}
}

func (w *systemScreen) run(ctx context.Context, s *Service, tx Tx) error {
	w.stale, w.skipped = false, false
	rs, err := s.confirmRuleContext(ctx, tx, w.tenant.ID, w.rs)
	if err != nil {
		return fmt.Errorf("confirm the tenant's configuration: %w", err)
	}
	rec, err := tx.LockUser(ctx, w.tenant.ID, w.userID)
	if errors.Is(err, ErrNotFound) {
		w.skipped = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("lock user %q: %w", w.userID, err)
	}
	out := w.ahead
	if out == nil || out.config != rs.version || rec.UID != out.plan.rec.UID || rec.LastSeq != out.basedOn {
		if out != nil && w.handedBack < maxHandBacks {
			w.stale = true
			return nil
		}
		if out, err = s.systemOutcome(w, rs, rec); err != nil || out == nil {
			w.skipped = out == nil
			return err
		}
	}
	return out.plan.apply(ctx, tx)
}

func (w *systemScreen) handBack() bool {
	if w.stale {
		w.handedBack++
	}
	return w.stale
}

func (w *systemScreen) recompute(ctx context.Context, s *Service) {
	if rs, err := s.ruleContext(ctx, w.tenant.ID); err == nil {
		w.rs = rs
	}
	w.computeAhead(ctx, s)
}

// hitIDs lists the hit ids of a screening state, sorted.
func hitIDs(st *screenState) []string {
	var out []string
	if st == nil {
		return out
	}
	for _, d := range st.Details {
		for _, id := range d.SanctionHitIDs {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}

// rescreenUser screens a user's names against every list it sees and, when the matches differ
// from the user's latest screening as the test says, writes the new screening as a SYSTEM write.
// It reports whether it wrote.
func (s *Service) rescreenUser(ctx context.Context, tenant Tenant, userID, reason string,
	differs func(old, new []string) bool) (bool, error) {
	rec, err := s.store.User(ctx, tenant.ID, userID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	before, err := decodeUserState(rec)
	if err != nil {
		return false, fmt.Errorf("decode user %q: %w", userID, err)
	}
	subjects := screeningSubjects(rec.Kind, userID, before.profile)
	screened := s.screenSubjects(ctx, tenant, userID, subjects, reason == "ongoing")
	screened.state.Key = subjectsKey(subjects)
	if !differs(hitIDs(before.rules.Screening), hitIDs(screened.state)) {
		return false, nil
	}
	rs, err := s.ruleContext(ctx, tenant.ID)
	if err != nil {
		return false, err
	}
	w := &systemScreen{tenant: tenant, userID: userID, rs: rs, screened: screened, reason: reason}
	w.computeAhead(ctx, s)
	if err := s.commit(ctx, w); err != nil {
		return false, err
	}
	if !w.skipped {
		s.users.forget(tenant.ID, userID)
		s.afterWrite(w.rs)
	}
	return !w.skipped, nil
}

// newHit reports whether new holds a hit id old does not: ongoing screening writes only then.
func newHit(old, new []string) bool {
	for _, id := range new {
		if !slices.Contains(old, id) {
			return true
		}
	}
	return false
}

// ongoingPage is how many users ongoing screening reads at a time.
const ongoingPage = 1000

// screenChanges is ongoing screening: every existing user, of every tenant, is screened against
// the new and changed entries of the lists that changed (an index of those entries alone, so a
// delta costs a search of a small index per name). A user some entry matches is screened again
// against every list it sees, and a new hit is a SYSTEM write on it (isOngoingScreeningHit).
func (s *Service) screenChanges(ctx context.Context, changes []ListChange) error {
	var entries []screening.Entry
	for _, c := range changes {
		entries = append(entries, c.Delta.Added...)
		entries = append(entries, c.Delta.Changed...)
	}
	if len(entries) == 0 {
		return nil
	}
	delta := screening.NewIndex()
	for _, e := range entries {
		delta.Put(e)
	}
	type key struct{ tenant, user string }
	var afterTenant, afterUID string
	for {
		users, err := s.store.ScreeningUsers(ctx, afterTenant, afterUID, ongoingPage)
		if err != nil {
			return fmt.Errorf("ongoing screening: read users: %w", err)
		}
		if len(users) == 0 {
			return nil
		}
		afterTenant, afterUID = users[len(users)-1].TenantID, users[len(users)-1].UID
		subjects := func(yield func(screening.Subject) bool) {
			for _, u := range users {
				profile, err := decodeStored(u.Profile)
				if err != nil {
					continue
				}
				for _, sub := range screeningSubjects(u.Kind, u.UserID, profile) {
					sub.UserID = u.TenantID + "\x00" + u.UserID // tenant ids hold no NUL
					if !yield(sub) {
						return
					}
				}
			}
		}
		hit := map[key]bool{}
		var order []key
		err = delta.ScreenAll(subjects, screening.SearchOptions{}, func(m screening.SubjectMatch) error {
			t, user, _ := strings.Cut(m.Subject.UserID, "\x00")
			if !visibleTo(m.Match.Entry.Source, t) {
				return nil
			}
			k := key{t, user}
			if !hit[k] {
				hit[k] = true
				order = append(order, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range order {
			if _, err := s.rescreenUser(ctx, Tenant{ID: k.tenant}, k.user, "ongoing", newHit); err != nil {
				return fmt.Errorf("ongoing screening of user %q: %w", k.user, err)
			}
		}
	}
}
