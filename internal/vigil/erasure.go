package vigil

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
)

// Erasure is what a store needs to erase a user.
type Erasure struct {
	User UserRecord
	// Key is the tombstone's key (ErasedUserKey), At the time of the erasure in milliseconds.
	Key []byte
	At  int64
	// QuotedID is the user id as a JSON string (quotes included), as stored answers hold it, and
	// Redacted what replaces it there.
	QuotedID, Redacted string
}

// ErasedUserKey is the tombstone's key of an erased user id: a hash of the tenant and the id, so
// the tombstone can answer "this id was erased" without keeping the id.
func ErasedUserKey(tenantID, userID string) []byte {
	h := sha256.Sum256([]byte(tenantID + "\x00" + userID))
	return h[:]
}

// erasedError is the answer for a user id that was erased.
func erasedError(userID string, at int64) *Error {
	return &Error{Code: CodeGone, Message: fmt.Sprintf("User %q was erased on %s at the tenant's request; its data is gone and its id cannot be used again",
		userID, time.UnixMilli(at).UTC().Format(time.RFC3339))}
}

// notFoundOrErased turns a missing user into the erasure answer when its id was erased.
func notFoundOrErased(ctx context.Context, erasedAt func(context.Context, string, string) (int64, error),
	tenantID, userID string, notFound *Error) error {
	at, err := erasedAt(ctx, tenantID, userID)
	switch {
	case errors.Is(err, ErrNotFound):
		return notFound
	case err != nil:
		return fmt.Errorf("look up the erasure of user %q: %w", userID, err)
	}
	return withReason(erasedError(userID, at), ReasonErased)
}

// EraseUser handles DELETE /consumer/users/{userId} and DELETE /business/users/{userId}: the
// user's personal data leaves its profile, history, stored answers, batch records, webhook
// deliveries and this process's cache; a tombstone of its id stays. It answers with the userId
// and the time of the erasure.
func (s *Service) EraseUser(ctx context.Context, tenant Tenant, kind Kind, userID string) ([]byte, error) {
	at := s.nowMillis()
	err := s.write(ctx, func(tx Tx) error {
		rec, err := tx.LockUser(ctx, tenant.ID, userID)
		if errors.Is(err, ErrNotFound) || (err == nil && rec.Kind != kind) {
			return notFoundOrErased(ctx, tx.ErasedAt, tenant.ID, userID, notFoundf("No %s with userId %q", names[kind].noun, userID))
		}
		if err != nil {
			return fmt.Errorf("lock user %q: %w", userID, err)
		}
		e := Erasure{User: rec, Key: ErasedUserKey(tenant.ID, userID), At: at,
			QuotedID: string(mustEncode(userID)), Redacted: `"[erased]"`}
		if err := tx.EraseUser(ctx, e); err != nil {
			return fmt.Errorf("erase user %q: %w", userID, err)
		}
		// The record names the user by its UID (not personal data) and digests the tombstone.
		return s.Audit(ctx, tx, tenant.ID, AuditUserErase, "user/"+rec.UID, e.Key)
	})
	if err != nil {
		return nil, err
	}
	s.users.forget(tenant.ID, userID)
	if err := s.store.ForgetErased(ctx); err != nil {
		// The erasure is committed and unreadable; only its traces in the files outlive it until
		// the next checkpoint.
		s.log.WarnContext(ctx, "erased data may stay in the database files until the next checkpoint", "err", err)
	}
	return mustEncode(map[string]any{"userId": userID, "erasedAt": at}), nil
}
