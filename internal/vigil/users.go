package vigil

import (
	"context"
	"errors"
	"fmt"

	"github.com/vigil-aml/vigil/internal/schema"
)

// CreateUser handles POST /consumer/users and POST /business/users: it creates the user, or, for
// a userId that exists, answers with the stored result (validateUserId absent or true) or
// updates the user (validateUserId=false). body is the decoded request body; it is modified.
// The reply is the wire JSON of the create response.
func (s *Service) CreateUser(ctx context.Context, tenant Tenant, kind Kind, body schema.Object, flags Flags) ([]byte, error) {
	rs, err := s.ruleContext(ctx, tenant.ID)
	if err != nil {
		return nil, err
	}
	w, err := s.prepareCreate(ctx, tenant, kind, body, flags, rs)
	if err != nil {
		return nil, err
	}
	if err := s.write(ctx, w.run); err != nil {
		return nil, err
	}
	s.afterWrite(rs)
	return w.reply, nil
}

// userWrite is a checked create or update: its unit of work and, once it ran, what it produced.
type userWrite struct {
	userID string
	run    func(Tx) error
	// reply is the wire reply; existed is set when the user existed and validateUserId kept it
	// unchanged.
	reply   []byte
	existed bool
	// uid and seq identify the history entry the write added.
	uid string
	seq int64
}

// prepareCreate checks a create body and returns its unit of work. Nothing is written until the
// unit runs.
func (s *Service) prepareCreate(ctx context.Context, tenant Tenant, kind Kind, body schema.Object, flags Flags, rs ruleContext) (*userWrite, error) {
	n := names[kind]
	schema.StripNulls(body)
	for _, f := range serverOwned {
		delete(body, f)
	}
	if problems := s.validator.Validate(n.profileSchema, body, schema.Full, ""); problems != nil {
		return nil, invalid(problems)
	}
	userID := body["userId"].(string)
	bodyJSON := mustEncode(body)
	w := &userWrite{userID: userID}
	w.run = func(tx Tx) error {
		w.reply, w.existed = nil, false
		rs, err := s.confirmRuleContext(ctx, tx, tenant.ID, rs)
		if err != nil {
			return err
		}
		rec, err := tx.LockUser(ctx, tenant.ID, userID)
		switch {
		case errors.Is(err, ErrNotFound):
			rec = UserRecord{TenantID: tenant.ID, UID: s.newID(), UserID: userID, Kind: kind}
			w.uid, w.seq = rec.UID, 1
			w.reply, err = s.insertUser(ctx, tx, tenant, &rec, rs, body, bodyJSON, flags)
		case err != nil:
			return err
		case rec.Kind != kind:
			return withReason(invalidf("userId", "%q is already a %s; a %s create cannot overwrite it (convert it with an event and allowUserTypeConversion=true)",
				userID, names[rec.Kind].noun, n.noun), ReasonTypeMismatch)
		case flags.validateUserID():
			var response []byte
			if len(rec.Evaluation) == 0 {
				if response, err = tx.LatestResponse(ctx, tenant.ID, rec.UID); err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
			}
			evaluation, err := s.latestEvaluation(ctx, rec, response)
			if err != nil {
				return err
			}
			ev, err := decodeEvaluation(evaluation)
			if err != nil {
				return err
			}
			w.existed = true
			w.reply = mustEncode(createResponse{UserID: userID, Evaluation: ev,
				Message: fmt.Sprintf("User %q already exists; its attributes were not saved. Send a user event to change it, or repeat the request with validateUserId=false to update it.", userID)})
			return nil
		default:
			w.uid, w.seq = rec.UID, rec.LastSeq+1
			w.reply, err = s.updateUser(ctx, tx, tenant, &rec, rs, body, bodyJSON, flags)
		}
		return err
	}
	return w, nil
}

func (s *Service) insertUser(ctx context.Context, tx Tx, tenant Tenant, rec *UserRecord, rs ruleContext,
	body schema.Object, bodyJSON []byte, flags Flags) ([]byte, error) {
	kind := rec.Kind
	now := s.now()
	entry := Entry{TenantID: tenant.ID, UserUID: rec.UID, Seq: 1, Type: EntryCreate,
		Timestamp: millis(body["createdTimestamp"]), Body: bodyJSON, CreatedAt: now.UnixMilli()}
	// The profile is a copy: evaluate writes into it, and body must stay as sent in case the
	// unit is retried.
	current := replaceTopLevel(nil, body)
	out, err := s.evaluate(tenant, evaluationInput{kind: kind, stage: stageInitial, at: entry.Timestamp,
		model: rs.model, rules: rs.set, current: current, request: body, flags: flags, notify: len(rs.endpoints) > 0}, now)
	if err != nil {
		return nil, err
	}
	rec.CreatedAt = entry.CreatedAt
	return s.saveWrite(ctx, tx, rs, rec, current, out, entry, true)
}

// updateUser applies a re-POST with validateUserId=false: it enters the history after every
// entry already there (at the later of now and the newest entry's timestamp).
func (s *Service) updateUser(ctx context.Context, tx Tx, tenant Tenant, rec *UserRecord, rs ruleContext,
	body schema.Object, bodyJSON []byte, flags Flags) ([]byte, error) {
	n := names[rec.Kind]
	before, err := decodeUserState(*rec)
	if err != nil {
		return nil, err
	}
	previous := before.profile
	current := replaceTopLevel(previous, body)
	if problems := s.validator.Validate(n.profileSchema, current, schema.Full, ""); problems != nil {
		return nil, invalid(problems)
	}
	now := s.now()
	entry := Entry{TenantID: rec.TenantID, UserUID: rec.UID, Seq: rec.LastSeq + 1, Type: EntryUpdate,
		Timestamp: max(now.UnixMilli(), rec.MaxTimestamp), Body: bodyJSON, CreatedAt: now.UnixMilli()}
	out, err := s.evaluate(tenant, evaluationInput{kind: rec.Kind, stage: stageUpdate, at: entry.Timestamp,
		model: rs.model, rules: rs.set, previous: previous, current: current, request: body, flags: flags,
		risk: before.risk, ruleState: before.rules, notify: len(rs.endpoints) > 0}, now)
	if err != nil {
		return nil, err
	}
	return s.saveWrite(ctx, tx, rs, rec, current, out, entry, false)
}

// User handles GET /consumer/users/{userId} and GET /business/users/{userId}: the current
// profile with the stored results of the latest evaluation.
func (s *Service) User(ctx context.Context, tenant Tenant, kind Kind, userID string) ([]byte, error) {
	rec, evaluation, err := s.userWithEvaluation(ctx, tenant, kind, userID)
	if err != nil {
		return nil, err
	}
	return withFields(rec.Profile, evaluation), nil
}

// userWithEvaluation reads a user of one kind and the JSON of its latest evaluation.
func (s *Service) userWithEvaluation(ctx context.Context, tenant Tenant, kind Kind, userID string) (UserRecord, []byte, error) {
	rec, response, err := s.store.UserWithResponse(ctx, tenant.ID, userID)
	if errors.Is(err, ErrNotFound) || (err == nil && rec.Kind != kind) {
		return rec, nil, notFoundf("No %s with userId %q", names[kind].noun, userID)
	}
	if err != nil {
		return rec, nil, err
	}
	evaluation, err := s.latestEvaluation(ctx, rec, response)
	return rec, evaluation, err
}
