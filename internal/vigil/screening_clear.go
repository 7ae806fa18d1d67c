package vigil

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/vigil-aml/vigil/internal/schema"
	"github.com/vigil-aml/vigil/internal/screening"
)

// AuditScreeningClear is the audit action of a cleared match.
const AuditScreeningClear = "screening.clear"

// MaxClearingReason bounds the reason of a cleared match, in characters.
const MaxClearingReason = 1000

// entryOfHit finds the entry a hit id (screening.HitID: list id, a colon, entry id) names.
func (li *listIndex) entryOfHit(hitID string) (screening.Entry, bool) {
	for listID := range *li.headers.Load() {
		if entryID, ok := strings.CutPrefix(hitID, listID+":"); ok {
			if e, ok := li.ix.Get(listID, entryID); ok {
				return e, true
			}
		}
	}
	return screening.Entry{}, false
}

// ClearMatch handles POST /screening/clearings: a match of a user and a list entry cleared as a
// false positive, with its reason, recorded with its actor in the audit log. The entry does not
// hit the user again until its content changes (its digest is kept with the clearing). The user
// is screened again at once, so its newest evaluation no longer reports the cleared match (a
// SYSTEM write when that changes its hits).
func (s *Service) ClearMatch(ctx context.Context, tenant Tenant, body schema.Object) ([]byte, error) {
	var problems []string
	for k := range body {
		if k != "userId" && k != "hitId" && k != "reason" {
			problems = append(problems, k+": unknown field (userId, hitId and reason are read)")
		}
	}
	field := func(name string, limit int) string {
		v, ok := body[name].(string)
		switch {
		case !ok || strings.TrimSpace(v) == "":
			problems = append(problems, name+": required, a non-empty string")
		case utf8.RuneCountInString(v) > limit:
			problems = append(problems, name+": too long")
		}
		return v
	}
	userID, hitID, reason := field("userId", 256), field("hitId", 512), field("reason", MaxClearingReason)
	if problems != nil {
		return nil, invalidLines(problems)
	}
	entry, ok := s.lists.entryOfHit(hitID)
	if !ok || !visibleTo(entry.Source, tenant.ID) {
		return nil, notFoundf("No list entry with hitId %q", hitID)
	}
	rec, err := s.store.User(ctx, tenant.ID, userID)
	if errors.Is(err, ErrNotFound) {
		return nil, notFoundOrErased(ctx, s.store.ErasedAt, tenant.ID, userID, notFoundf("No user with userId %q", userID))
	}
	if err != nil {
		return nil, err
	}
	c := ScreeningClearing{TenantID: tenant.ID, UserID: userID, HitID: hitID, Digest: entry.Digest().String(),
		Reason: reason, CreatedAt: s.nowMillis()}
	c.Actor, _ = callerOf(ctx)
	digest := sha256.Sum256([]byte(hitID + "\x00" + c.Digest + "\x00" + reason))
	if err := s.write(ctx, func(tx Tx) error {
		if err := tx.PutScreeningClearing(ctx, c); err != nil {
			return err
		}
		return s.Audit(ctx, tx, tenant.ID, AuditScreeningClear, "user/"+rec.UID+"/hit/"+hitID, digest[:])
	}); err != nil {
		return nil, err
	}
	s.lists.memo.reset()
	if _, err := s.rescreenUser(ctx, tenant, userID, "cleared", func(old, new []string) bool {
		return !sliceEqual(old, new)
	}); err != nil {
		return nil, err
	}
	return mustEncode(map[string]any{"userId": userID, "hitId": hitID, "reason": reason, "actor": c.Actor,
		"createdAt": c.CreatedAt, "entryDigest": c.Digest}), nil
}

func sliceEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
