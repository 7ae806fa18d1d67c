package vigil

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-aml/vigil/internal/rules"
)

// indexBatch is how many users IndexUsers indexes per transaction.
const indexBatch = 200

// IndexUsers gives search terms to the users last written before the store kept them (a
// database upgraded to this version), so GET /users finds them; every write keeps them up to
// date afterwards. It returns how many users it indexed. It is safe to run beside writes: each
// user is indexed in a transaction that first locks it and skips it if a write indexed it.
func (s *Service) IndexUsers(ctx context.Context) (int, error) {
	total := 0
	for {
		recs, err := s.store.UnindexedUsers(ctx, indexBatch)
		if err != nil || len(recs) == 0 {
			return total, err
		}
		fns := make([]func(Tx) error, len(recs))
		for i, rec := range recs {
			fns[i] = func(tx Tx) error { return s.indexUser(ctx, tx, rec.TenantID, rec.UserID) }
		}
		errs, err := s.store.UpdateAll(ctx, fns)
		if err != nil {
			return total, err
		}
		for i, err := range errs {
			if err != nil {
				return total, fmt.Errorf("index user %q: %w", recs[i].UserID, err)
			}
		}
		total += len(recs)
	}
}

// indexUser gives one user its search terms, if it is not indexed yet.
func (s *Service) indexUser(ctx context.Context, tx Tx, tenantID, userID string) error {
	rec, err := tx.LockUser(ctx, tenantID, userID)
	if errors.Is(err, ErrNotFound) || (err == nil && Indexed(rec.Terms)) {
		return nil // erased, renamed or written since: nothing left to do here
	}
	if err != nil {
		return err
	}
	profile, err := decodeStored(rec.Profile)
	if err != nil {
		return err
	}
	hits, err := s.latestHits(ctx, tx, rec)
	if err != nil {
		return err
	}
	setTerms(&rec, profile, hits)
	if rec.Evaluation == nil {
		rec.Evaluation = []byte{} // read back as nil when empty; the column is NOT NULL
	}
	return tx.UpdateUser(ctx, rec)
}

// latestHits reads the rules that hit at a user's latest write from its stored response, which
// is where the latest results live (UserRecord.Evaluation).
func (s *Service) latestHits(ctx context.Context, tx Tx, rec UserRecord) ([]rules.Hit, error) {
	stored, err := tx.LatestResponse(ctx, rec.TenantID, rec.UID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	evaluation, err := s.latestEvaluation(ctx, rec, stored)
	if err != nil || evaluation == nil {
		return nil, err
	}
	ev, err := decodeEvaluation(evaluation)
	return ev.HitRules, err
}
