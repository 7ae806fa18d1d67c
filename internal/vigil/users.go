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
	w, err := s.prepareCreate(tenant, kind, body, flags, rs)
	if err != nil {
		return nil, err
	}
	w.computeAhead(ctx, s)
	if err := s.commit(ctx, w); err != nil {
		return nil, err
	}
	s.afterWrite(rs)
	return w.reply, nil
}

// userWrite is a checked create or update on its way through the write path (unit.go): its
// outcome computed ahead of the transaction and, once it ran, what it produced.
type userWrite struct {
	userID string
	in     userInput
	// ahead is the outcome computed before the transaction (nil: compute it in the writer).
	ahead *userOutcome
	// stale is set by a run that wrote nothing because ahead no longer held; handedBack counts
	// those runs (see maxHandBacks).
	stale      bool
	handedBack int
	// reply is the wire reply; existed is set when the user existed and validateUserId kept it
	// unchanged.
	reply   []byte
	existed bool
	// uid and seq identify the history entry the write added.
	uid string
	seq int64
}

// userInput is a checked create body.
type userInput struct {
	tenant   Tenant
	kind     Kind
	body     schema.Object
	bodyJSON []byte
	flags    Flags
	rs       ruleContext
}

// userOutcome is what a create or an update does, computed from the user's row (or its absence)
// and the tenant's configuration: the rows to write and the reply.
type userOutcome struct {
	plan  writePlan
	reply []byte
	// basedOn is the LastSeq of the row it was computed on (0: a new user); config the tenant's
	// configuration version.
	basedOn int64
	config  int64
}

// prepareCreate checks a create body and returns its write. Nothing is written until it runs.
func (s *Service) prepareCreate(tenant Tenant, kind Kind, body schema.Object, flags Flags, rs ruleContext) (*userWrite, error) {
	n := names[kind]
	schema.StripNulls(body)
	for _, f := range serverOwned {
		delete(body, f)
	}
	if problems := s.validator.Validate(n.profileSchema, body, schema.Full, ""); problems != nil {
		return nil, invalid(problems)
	}
	userID := body["userId"].(string)
	return &userWrite{userID: userID,
		in: userInput{tenant: tenant, kind: kind, body: body, bodyJSON: mustEncode(body), flags: flags, rs: rs}}, nil
}

// computeAhead computes the write's outcome outside the store's writer, on the user's row as the
// store has it now, when that outcome can be known: a new user, or an update
// (validateUserId=false) of a user of the same kind. The run uses it only if neither the row nor
// the tenant's configuration moved in between.
func (w *userWrite) computeAhead(ctx context.Context, s *Service) {
	w.ahead = nil
	rec, err := s.store.User(ctx, w.in.tenant.ID, w.userID)
	switch {
	case errors.Is(err, ErrNotFound):
		w.ahead, _ = s.userOutcome(w.in, w.in.rs, nil)
	case err == nil && rec.Kind == w.in.kind && !w.in.flags.validateUserID():
		w.ahead, _ = s.userOutcome(w.in, w.in.rs, &rec)
	}
}

// run is the write's unit of work in a transaction (see unit.go). With an outcome computed ahead
// that still holds it only stores rows; otherwise it hands the user back to be computed again
// outside the writer, or, past maxHandBacks, computes in the writer.
func (w *userWrite) run(ctx context.Context, s *Service, tx Tx) error {
	w.reply, w.existed, w.stale = nil, false, false
	rs, err := s.confirmRuleContext(ctx, tx, w.in.tenant.ID, w.in.rs)
	if err != nil {
		return fmt.Errorf("confirm the tenant's configuration: %w", err)
	}
	rec, err := tx.LockUser(ctx, w.in.tenant.ID, w.userID)
	var existing *UserRecord
	switch {
	case errors.Is(err, ErrNotFound):
		// A new user, unless its id was erased: an erased id is never used again.
		if at, err := tx.ErasedAt(ctx, w.in.tenant.ID, w.userID); err == nil {
			return withReason(erasedError(w.userID, at), ReasonErased)
		} else if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("look up the erasure of user %q: %w", w.userID, err)
		}
	case err != nil:
		return fmt.Errorf("lock user %q: %w", w.userID, err)
	case rec.Kind != w.in.kind:
		return withReason(invalidf("userId", "%q is already a %s; a %s create cannot overwrite it (convert it with an event and allowUserTypeConversion=true)",
			w.userID, names[rec.Kind].noun, names[w.in.kind].noun), ReasonTypeMismatch)
	case w.in.flags.validateUserID():
		return w.answerExisting(ctx, s, tx, rec)
	default:
		existing = &rec
	}
	out := w.ahead
	if out == nil || out.config != rs.version || (existing == nil) != (out.basedOn == 0) ||
		(existing != nil && (existing.UID != out.plan.rec.UID || existing.LastSeq != out.basedOn)) {
		if out != nil && w.handedBack < maxHandBacks {
			w.stale = true // only hand back what was computed ahead: it will be again
			return nil
		}
		in := w.in
		in.rs = rs
		if out, err = s.userOutcome(in, rs, existing); err != nil {
			return err
		}
	}
	if err := out.plan.apply(ctx, tx); err != nil {
		return fmt.Errorf("store user %q: %w", w.userID, err)
	}
	w.reply, w.uid, w.seq = out.reply, out.plan.rec.UID, out.plan.entries[0].Seq
	return nil
}

// handBack reports whether the last run handed the user back, counting it.
func (w *userWrite) handBack() bool {
	if w.stale {
		w.handedBack++
	}
	return w.stale
}

// recompute computes the outcome again after a hand-back, with the configuration now in force.
func (w *userWrite) recompute(ctx context.Context, s *Service) {
	if rs, err := s.ruleContext(ctx, w.in.tenant.ID); err == nil {
		w.in.rs = rs
	}
	w.computeAhead(ctx, s)
}

// answerExisting answers a create of a user that exists (validateUserId absent or true): the
// stored result, nothing written.
func (w *userWrite) answerExisting(ctx context.Context, s *Service, tx Tx, rec UserRecord) error {
	response, err := tx.LatestResponse(ctx, rec.TenantID, rec.UID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("read the latest response of user %q: %w", w.userID, err)
	}
	evaluation, err := s.latestEvaluation(ctx, rec, response)
	if err != nil {
		return fmt.Errorf("read the latest evaluation of user %q: %w", w.userID, err)
	}
	ev, err := decodeEvaluation(evaluation)
	if err != nil {
		return fmt.Errorf("decode the latest evaluation of user %q: %w", w.userID, err)
	}
	w.existed = true
	w.reply = mustEncode(createResponse{UserID: w.userID, Evaluation: ev,
		Message: fmt.Sprintf("User %q already exists; its attributes were not saved. Send a user event to change it, or repeat the request with validateUserId=false to update it.", w.userID)})
	return nil
}

// userOutcome computes a create (existing nil) or an update of existing with rs. It writes
// nothing, so it runs before the transaction as well as in it.
func (s *Service) userOutcome(in userInput, rs ruleContext, existing *UserRecord) (*userOutcome, error) {
	if existing == nil {
		rec := UserRecord{TenantID: in.tenant.ID, UID: s.newID(), UserID: in.body["userId"].(string), Kind: in.kind}
		return s.insertUser(in, rs, rec)
	}
	return s.updateUser(in, rs, *existing)
}

func (s *Service) insertUser(in userInput, rs ruleContext, rec UserRecord) (*userOutcome, error) {
	now := s.now()
	entry := Entry{TenantID: in.tenant.ID, UserUID: rec.UID, Seq: 1, Type: EntryCreate,
		Timestamp: millis(in.body["createdTimestamp"]), Body: in.bodyJSON, CreatedAt: now.UnixMilli()}
	// The profile is a copy: evaluate writes into it, and body must stay as sent in case the
	// outcome is computed again.
	current := replaceTopLevel(nil, in.body)
	out, err := s.evaluate(in.tenant, evaluationInput{kind: rec.Kind, stage: stageInitial, at: entry.Timestamp,
		model: rs.model, rules: rs.set, current: current, request: in.body, flags: in.flags, notify: len(rs.endpoints) > 0}, now)
	if err != nil {
		return nil, err
	}
	rec.CreatedAt = entry.CreatedAt
	// A creation's actions are ordered before every event: no late event folds before them.
	rec.FoldIndex = newFoldIndex().encode()
	return s.userPlan(rs, rec, current, out, entry, 0, true), nil
}

// updateUser computes a re-POST with validateUserId=false: it enters the history after every
// entry already there (at the later of now and the newest entry's timestamp).
func (s *Service) updateUser(in userInput, rs ruleContext, rec UserRecord) (*userOutcome, error) {
	n := names[rec.Kind]
	before, err := decodeUserState(rec)
	if err != nil {
		return nil, fmt.Errorf("decode user %q: %w", rec.UserID, err)
	}
	previous := before.profile
	current := replaceTopLevel(previous, in.body)
	if problems := s.validator.Validate(n.profileSchema, current, schema.Full, ""); problems != nil {
		return nil, invalid(problems)
	}
	now := s.now()
	entry := Entry{TenantID: rec.TenantID, UserUID: rec.UID, Seq: rec.LastSeq + 1, Type: EntryUpdate,
		Timestamp: max(now.UnixMilli(), rec.MaxTimestamp), Body: in.bodyJSON, CreatedAt: now.UnixMilli()}
	out, err := s.evaluate(in.tenant, evaluationInput{kind: rec.Kind, stage: stageUpdate, at: entry.Timestamp,
		model: rs.model, rules: rs.set, previous: previous, current: current, request: in.body, flags: in.flags,
		risk: before.risk, ruleState: before.rules, notify: len(rs.endpoints) > 0}, now)
	if err != nil {
		return nil, err
	}
	rec.FoldIndex = decodeFoldIndex(rec.FoldIndex).afterUpdate(entry, in.body, out.system)
	return s.userPlan(rs, rec, current, out, entry, rec.LastSeq, false), nil
}

// userPlan plans a create's or an update's rows; the reply is the userId followed by the
// evaluation's fields.
func (s *Service) userPlan(rs ruleContext, rec UserRecord, current schema.Object, out evaluated, entry Entry,
	basedOn int64, create bool) *userOutcome {
	doc := userIDDoc(rec.UserID)
	p := s.planWrite(rs, rec, current, mustEncode(current), out, entry, doc, create)
	return &userOutcome{plan: p, reply: out.withEvaluation(doc), basedOn: basedOn, config: rs.version}
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
		return rec, nil, notFoundOrErased(ctx, s.store.ErasedAt, tenant.ID, userID, notFoundf("No %s with userId %q", names[kind].noun, userID))
	}
	if err != nil {
		return rec, nil, err
	}
	evaluation, err := s.latestEvaluation(ctx, rec, response)
	return rec, evaluation, err
}
