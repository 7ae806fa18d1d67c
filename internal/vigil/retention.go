package vigil

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Retention: with a retention period, history older than it is folded away. For each user, the
// entries that come first in fold order (the creation, then every entry dated before a horizon)
// are replaced by one: the creation entry, whose body becomes the fold of them all. Folding that
// entry and the rest is the fold of the whole history, so every answer stays what it would have
// been. The horizon is the retention cutoff, but never past the user's last two entries, which
// answer for the user's latest results and its fold window. Events dated before the retention
// period are refused (checkRetention), so nothing can be ordered among what was folded away.

// PruneCandidate is a user with history older than a cutoff that pruning can fold away.
type PruneCandidate struct {
	TenantID, UID, UserID string
}

// retainEntriesAtEnd is how many of a user's newest entries pruning always keeps.
const retainEntriesAtEnd = 2

// PruneHistory folds away, for every user, the history dated before cutoff (epoch ms), at most
// limit users per call; it returns how many users it pruned. The store's files keep none of what
// was removed (as for an erasure: ForgetErased).
func (s *Service) PruneHistory(ctx context.Context, cutoff int64, limit int) (int, error) {
	candidates, err := s.store.PruneCandidates(ctx, cutoff, retainEntriesAtEnd, limit)
	if err != nil {
		return 0, fmt.Errorf("find history to prune: %w", err)
	}
	pruned := 0
	for _, c := range candidates {
		err := s.write(ctx, func(tx Tx) error { return s.pruneUser(ctx, tx, c, cutoff) })
		if err != nil {
			return pruned, fmt.Errorf("prune the history of user %s: %w", c.UID, err)
		}
		s.users.forget(c.TenantID, c.UserID)
		pruned++
	}
	if pruned > 0 {
		if err := s.store.ForgetErased(ctx); err != nil {
			s.log.WarnContext(ctx, "pruned history may stay in the database files until the next checkpoint", "err", err)
		}
	}
	return pruned, nil
}

// pruneUser folds away one user's history before cutoff, in the write tx.
func (s *Service) pruneUser(ctx context.Context, tx Tx, c PruneCandidate, cutoff int64) error {
	rec, err := tx.LockUser(ctx, c.TenantID, c.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && rec.UID != c.UID) {
		return nil // erased or renamed meanwhile: the next run finds it again if need be
	}
	if err != nil {
		return err
	}
	entries, err := tx.Entries(ctx, rec.TenantID, rec.UID)
	if err != nil {
		return err
	}
	sortForFold(entries)
	horizon := cutoff
	for _, e := range entries {
		if e.Seq > rec.LastSeq-retainEntriesAtEnd && e.Type != EntryCreate {
			horizon = min(horizon, e.Timestamp) // the kept entries stay after what is folded
		}
	}
	var prefix []Entry
	var removed []int64
	var create Entry
	for _, e := range entries {
		switch {
		case e.Type == EntryCreate:
			create = e
			prefix = append(prefix, e)
		case e.Timestamp < horizon && e.Seq <= rec.LastSeq-retainEntriesAtEnd:
			prefix = append(prefix, e)
			removed = append(removed, e.Seq)
		}
	}
	if len(removed) == 0 || create.Seq == 0 {
		return nil
	}
	folded, err := s.foldOnto(nil, prefix)
	if err != nil {
		return err
	}
	return tx.PruneEntries(ctx, rec.TenantID, rec.UID, create.Seq, mustEncode(folded), removed)
}

// checkRetention refuses an event dated before the retention period: its place in the fold may
// be among entries folded away.
func (s *Service) checkRetention(ts int64) *Error {
	if s.retain <= 0 {
		return nil
	}
	if limit := s.now().Add(-s.retain).UnixMilli(); ts < limit {
		return invalidf("timestamp", "is older than the %d days of history this server keeps (--retain-history); events must be dated after %s",
			int(s.retain/(24*time.Hour)), time.UnixMilli(limit).UTC().Format(time.RFC3339))
	}
	return nil
}
