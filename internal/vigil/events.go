package vigil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"sort"

	"github.com/vigil-aml/vigil/internal/schema"
)

// EventReply is the answer to a user event.
type EventReply struct {
	// Body is the wire JSON: the user after the event with this evaluation's results.
	Body []byte
	// Location is the path of the event (its eventId percent-encoded).
	Location string
	// Replayed is true when an identical earlier request was answered again.
	Replayed bool
}

// ApplyEvent handles POST /events/consumer/user and POST /events/business/user. body is the
// decoded request body; it is modified.
func (s *Service) ApplyEvent(ctx context.Context, tenant Tenant, kind Kind, body schema.Object, flags Flags) (EventReply, error) {
	rs, err := s.ruleContext(ctx, tenant.ID)
	if err != nil {
		return EventReply{}, err
	}
	w, err := s.prepareEvent(tenant, kind, body, flags, rs, "")
	if err != nil {
		return EventReply{}, err
	}
	w.computeAhead(ctx, s)
	if err := s.commit(ctx, w); err != nil {
		return EventReply{}, err
	}
	s.remember(w)
	s.afterWrite(rs)
	return w.reply, nil
}

// eventWrite is a checked event on its way through the write path (unit.go): its outcome
// computed ahead of the transaction and, once it ran, what it produced.
type eventWrite struct {
	eventID, userID string
	timestamp       int64
	in              eventInput
	location        string
	// clientID is set when the eventId is an idempotency key (the client's, or a batch's).
	clientID bool
	reply    EventReply
	// uid and seq identify the history entry of the event.
	uid string
	seq int64
	// ahead is the outcome computed before the transaction (nil: compute it in the writer),
	// applied the one the transaction stored (nil: none, or a replay).
	ahead, applied *eventOutcome
	// fresh is the user's row a run handed back because ahead went stale; handedBack counts the
	// runs that did; runs counts every run.
	fresh      *UserRecord
	handedBack int
	runs       int
}

// prepareEvent checks an event and returns its write. An event without an eventId gets defaultID
// when it is set (batches derive one from the batch), and a random one otherwise; only the
// former is an idempotency key, like a client's.
func (s *Service) prepareEvent(tenant Tenant, kind Kind, body schema.Object, flags Flags, rs ruleContext, defaultID string) (*eventWrite, error) {
	n := names[kind]
	fingerprint := schema.Fingerprint(body, flags.canonical())
	patch, proven, problems := s.checkEvent(n, body, flags)
	if problems != nil {
		return nil, invalid(problems)
	}
	eventID, clientID := body["eventId"].(string)
	if !clientID {
		eventID, clientID = defaultID, defaultID != ""
		if !clientID {
			eventID = s.newID()
		}
		body["eventId"] = eventID
	}
	var hash []byte
	if clientID {
		hash = fingerprint[:]
	}
	ts := millis(body["timestamp"])
	if err := s.checkRetention(ts); err != nil {
		return nil, err
	}
	in := eventInput{tenant: tenant, kind: kind, body: body, patch: patch, proven: proven, flags: flags, rs: rs,
		eventID: eventID, eventJSON: mustEncode(body), hash: hash, ts: ts}
	return &eventWrite{eventID: eventID, userID: body["userId"].(string), timestamp: ts, in: in,
		location: n.eventPath + url.PathEscape(eventID), clientID: clientID}, nil
}

// run is the event's unit of work in a transaction, in four steps: answer a retried request
// from the store (replay), store the outcome computed ahead if nothing moved (applyAhead), hand
// the user back when something did, or compute the outcome in the writer (applyInWriter).
func (w *eventWrite) run(ctx context.Context, s *Service, tx Tx) error {
	w.reply = EventReply{Location: w.location}
	w.applied, w.fresh = nil, nil
	// A first run does not look the eventId up: the unique index on it fails the insert of the
	// event's entry, the store rolls the unit back, and the retry looks it up. A retry of a
	// request is rare; the lookup on every event was not. A run that handed its user back
	// inserted nothing, so the run after it is a first run again.
	w.runs++
	checked := !w.clientID
	if w.clientID && w.runs > 1+w.handedBack {
		if done, err := w.replay(ctx, s, tx); done || err != nil {
			return err
		}
		checked = true
	}
	stale := false
	if w.ahead != nil {
		if done, err := w.applyAhead(ctx, tx); done || err != nil {
			return err
		}
		stale = true
	}
	rs, err := s.confirmRuleContext(ctx, tx, w.in.tenant.ID, w.in.rs)
	if err != nil {
		return fmt.Errorf("confirm the tenant's configuration: %w", err)
	}
	rec, err := tx.LockUser(ctx, w.in.tenant.ID, w.userID)
	switch {
	case errors.Is(err, ErrNotFound):
		if !checked { // the eventId may be stored for this user under its former id
			if done, err := w.replay(ctx, s, tx); done || err != nil {
				return err
			}
		}
		return notFoundOrErased(ctx, tx.ErasedAt, w.in.tenant.ID, w.userID,
			withReason(notFoundf("No %s with userId %q; create the user before sending its events", names[w.in.kind].noun, w.userID), ReasonRelatedNotFound))
	case err != nil:
		return fmt.Errorf("lock user %q: %w", w.userID, err)
	case stale && w.handedBack < maxHandBacks:
		w.fresh = &rec // hand the row back to be computed again outside the writer
		return nil
	}
	return w.applyInWriter(ctx, s, tx, rs, rec)
}

// replay answers a request whose eventId is already stored: the first response when it is the
// same request, a conflict otherwise. It reports whether it answered.
func (w *eventWrite) replay(ctx context.Context, s *Service, tx Tx) (bool, error) {
	seen, err := tx.EventByID(ctx, w.in.tenant.ID, w.in.kind, w.eventID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up event %q: %w", w.eventID, err)
	}
	if !bytes.Equal(seen.RequestHash, w.in.hash) {
		return false, withReason(conflictf("eventId %q was already used for a different request; use a new eventId for a new event", w.eventID), ReasonConflict)
	}
	if w.reply.Body, err = s.expandResponse(ctx, w.in.tenant.ID, seen.Response); err != nil {
		return false, fmt.Errorf("expand the stored response of event %q: %w", w.eventID, err)
	}
	w.reply.Replayed = true
	w.uid, w.seq = seen.UserUID, seen.Seq
	return true, nil
}

// applyAhead stores the outcome computed ahead if nothing it was based on moved: the update
// itself checks the user's history and the tenant's configuration. It reports whether it stored.
func (w *eventWrite) applyAhead(ctx context.Context, tx Tx) (bool, error) {
	out := w.ahead
	based := UserVersion{UserID: w.userID, UID: out.uid, LastSeq: out.basedOn, ConfigVersion: w.in.rs.version}
	done, err := out.plan.applyIf(ctx, tx, based)
	if err != nil {
		return false, fmt.Errorf("store event %q: %w", w.eventID, err)
	}
	if done {
		w.reply.Body, w.applied = out.response, out
		w.uid, w.seq = out.uid, out.seq
	}
	return done, err
}

// applyInWriter computes the outcome on the locked row with the configuration in force and
// stores it.
func (w *eventWrite) applyInWriter(ctx context.Context, s *Service, tx Tx, rs ruleContext, rec UserRecord) error {
	before, err := decodeUserState(rec)
	if err != nil {
		return fmt.Errorf("decode user %q: %w", w.userID, err)
	}
	in := w.in
	in.rs = rs
	out, err := s.eventOutcome(ctx, tx, in, rec, before)
	if err != nil {
		return err
	}
	if err := out.plan.apply(ctx, tx); err != nil {
		return fmt.Errorf("store event %q: %w", w.eventID, err)
	}
	w.reply.Body, w.applied = out.response, out
	w.uid, w.seq = rec.UID, out.seq
	return nil
}

// handBack reports whether the last run handed the user back, counting it.
func (w *eventWrite) handBack() bool {
	if w.fresh != nil {
		w.handedBack++
	}
	return w.fresh != nil
}

// recompute computes the outcome again after a hand-back: on the row the run handed back, with
// the configuration now in force.
func (w *eventWrite) recompute(ctx context.Context, s *Service) {
	if rs, err := s.ruleContext(ctx, w.in.tenant.ID); err == nil {
		w.in.rs = rs
	}
	fresh := w.fresh
	w.ahead, w.fresh = nil, nil
	if fresh == nil {
		w.computeAhead(ctx, s)
		return
	}
	if before, err := s.stateOf(*fresh); err == nil {
		w.computeAheadOn(ctx, s, *fresh, before)
	}
}

// computeAhead computes the event's outcome before its transaction, on a snapshot of the user
// (cached, or read from the store), so the store's writer only writes the rows.
func (w *eventWrite) computeAhead(ctx context.Context, s *Service) {
	w.ahead = nil
	rec, before, cached := s.users.get(w.in.tenant.ID, w.userID)
	if !cached {
		var err error
		if rec, err = s.store.User(ctx, w.in.tenant.ID, w.userID); err != nil {
			return
		}
		if before, err = decodeUserState(rec); err != nil {
			return
		}
	}
	w.computeAheadOn(ctx, s, rec, before)
}

// computeAheadOn computes the event's outcome on rec (before is its decoded state), unless it
// renames the user or changes its type: those are computed in the write. A late event folds the
// history it reads from the store; the unit uses the outcome only if the user's history and the
// tenant's configuration did not move in between.
func (w *eventWrite) computeAheadOn(ctx context.Context, s *Service, rec UserRecord, before userState) {
	w.ahead = nil
	if w.in.flags.ChangeUserID || rec.Kind != w.in.kind {
		return
	}
	if out, err := s.eventOutcome(ctx, nil, w.in, rec, before); err == nil {
		w.ahead = out
	}
}

// stateOf returns the decoded state of a user's row: the cached one when the cache holds this
// very row (its history ends at the same entry), with its fold window, which the write that
// made the row stale has usually just cached; otherwise the row decoded.
func (s *Service) stateOf(rec UserRecord) (userState, error) {
	if cached, st, ok := s.users.get(rec.TenantID, rec.UserID); ok && cached.UID == rec.UID && cached.LastSeq == rec.LastSeq {
		return st, nil
	}
	return decodeUserState(rec)
}

// remember caches the user's state after an event's durable write, for its next event, and
// that its rule list is stored.
func (s *Service) remember(w *eventWrite) {
	if w.applied != nil {
		s.users.put(w.applied.plan.rec, w.applied.after)
		s.ruleLists.markStored(w.applied.plan.ruleList)
	}
}

// eventInput is a checked event on its way to the store.
type eventInput struct {
	tenant      Tenant
	kind        Kind
	body, patch schema.Object
	// proven is the patch's values that passed its schema's checks in full.
	proven          schema.Proven
	flags           Flags
	rs              ruleContext
	eventID         string
	eventJSON, hash []byte
	ts              int64
}

// eventOutcome is what an event does to a user: the rows to write and the reply.
type eventOutcome struct {
	// basedOn is the user's LastSeq the outcome was computed on, uid the user's UID.
	basedOn  int64
	uid      string
	plan     writePlan
	response []byte
	// seq is the Seq of the event's history entry.
	seq int64
	// after is the user's state once the plan is stored.
	after userState
}

// eventOutcome computes an event's effect on rec. tx is nil for an outcome computed ahead (no
// type conversion, no rename), which reads a late event's history outside the write.
func (s *Service) eventOutcome(ctx context.Context, tx Tx, in eventInput, rec UserRecord, before userState) (*eventOutcome, error) {
	n := names[in.kind]
	based := rec.LastSeq
	converting := rec.Kind != in.kind
	if converting && !in.flags.AllowUserTypeConversion {
		return nil, withReason(invalidf("userId", "%q is a %s; send a %s event, or set allowUserTypeConversion=true to convert it",
			rec.UserID, names[rec.Kind].noun, names[rec.Kind].noun), ReasonTypeMismatch)
	}
	if in.flags.ChangeUserID {
		if err := s.rename(ctx, tx, &rec, in.body["newUserId"].(string)); err != nil {
			return nil, err
		}
	}
	previous := before.profile
	clock := s.now()
	now := clock.UnixMilli()
	seq, orderTs := rec.LastSeq, in.ts
	var added []Entry
	if converting {
		// A change of type closes the history before it: the conversion and its event enter
		// after every existing entry, whatever the event's timestamp.
		orderTs = max(in.ts, rec.MaxTimestamp)
		seq++
		added = append(added, Entry{TenantID: in.tenant.ID, UserUID: rec.UID, Seq: seq, Type: EntryConvert,
			Timestamp: orderTs, EventKind: in.kind, Body: conversionBody(rec.Kind, in.kind), CreatedAt: now})
	}
	entry := Entry{TenantID: in.tenant.ID, UserUID: rec.UID, Seq: seq + 1, Type: EntryEvent,
		Timestamp: orderTs, EventKind: in.kind, EventID: in.eventID, Body: in.eventJSON, RequestHash: in.hash, CreatedAt: now}
	var current schema.Object
	// incremental: the profile is the previous one, which was valid, with the patch applied.
	incremental := orderTs >= rec.MaxTimestamp && !converting
	throughWindow := false
	ix := decodeFoldIndex(rec.FoldIndex) // nil: none stored; a refold writes one
	if orderTs >= rec.MaxTimestamp {
		current = previous
		if converting {
			current = s.convert(current, in.kind)
		}
		current = schema.MergePatch(current, in.patch)
	} else if w := before.window; (ix == nil || !ix.dirty) && w.covers(rec, orderTs) {
		// A late event, but only behind the user's last few writes: refold those alone onto the
		// state before them (conversions before it are ordered before orderTs).
		tail := w.entries()
		entry.Timestamp = max(orderTs, lastConversion(tail))
		folded, err := s.foldOnto(w.base, append(tail, entry))
		if err != nil {
			return nil, err
		}
		current = maps.Clone(folded) // folded may be the shared base itself; its members are set below
		throughWindow = true
	} else if late, ok := s.lateByIndex(ix, previous, in.patch, &entry, orderTs); ok {
		// A late event behind any part of the history: the paths it writes that nothing after it
		// wrote again (foldindex.go).
		current = late
	} else {
		// A late event: insert it at its place and refold, so it never overrides a later one.
		// It never folds before a conversion: the user was another type then.
		history, err := s.history(ctx, tx, rec)
		if err != nil {
			return nil, err
		}
		s.metrics.HistoryRefolded(len(history))
		entry.Timestamp = max(orderTs, lastConversion(history))
		if current, ix, err = s.foldIndexed(append(history, entry), entry.Seq); err != nil {
			return nil, err
		}
	}
	if orderTs < rec.MaxTimestamp {
		keepLevels(current, previous, in.patch) // a refold: the levels are not history
	}
	current["userId"] = rec.UserID
	var problems []schema.Problem
	if incremental {
		problems = s.validator.ValidateChanged(n.profileSchema, current, in.patch, schema.Full, n.attributes, in.proven)
	} else {
		problems = s.validator.Validate(n.profileSchema, current, schema.Full, n.attributes)
	}
	if problems != nil {
		return nil, invalid(problems)
	}
	out, err := s.evaluate(in.tenant, evaluationInput{kind: in.kind, stage: stageUpdate, at: entry.Timestamp,
		model: in.rs.model, rules: in.rs.set, previous: previous, current: current, event: in.body, request: in.patch,
		flags: in.flags, risk: before.risk, ruleState: before.rules, notify: len(in.rs.endpoints) > 0}, clock)
	if err != nil {
		return nil, err
	}
	rec.Kind = in.kind
	rec.FoldIndex = ix.after(converting, orderTs, entry, in.patch, out.system, orderTs < rec.MaxTimestamp)
	profileJSON := mustEncode(current)
	response := out.withEvaluation(profileJSON)
	plan := s.planWrite(in.rs, rec, current, profileJSON, out, entry, profileJSON, false)
	if len(added) > 0 { // a conversion goes with the event: its record covers both
		plan.entries = append(added, plan.entries...)
		plan.audit = s.userWriteAudit(plan.entries)
	}
	window := windowAfter(before.window, rec, previous, plan.entries, incremental, throughWindow)
	return &eventOutcome{basedOn: based, uid: rec.UID, plan: plan, response: response,
		seq:   entry.Seq,
		after: userState{profile: current, risk: out.risk, rules: out.rules, window: window}}, nil
}

// computedLevels are the profile's fields that evaluation writes, not the history: a refold
// brings back only the values clients sent.
var computedLevels = []string{"riskLevel", "kycRiskLevel"}

// keepLevels gives a refolded profile the levels the user had before the event, unless the
// event sets them: what an in-order event's profile holds, so rules see the same whether an
// event came late or not, and whatever part of the history was refolded.
func keepLevels(current, previous, patch schema.Object) {
	for _, k := range computedLevels {
		if v, set := patch[k]; set {
			if v == nil {
				delete(current, k)
			} else {
				current[k] = v
			}
		} else if v, ok := previous[k]; ok {
			current[k] = v
		} else {
			delete(current, k)
		}
	}
}

// checkEvent validates an event body: the event in full, its patch with every field optional,
// and the flags. It returns the patch (nulls kept: they remove fields), what its check proved
// and the problems.
func (s *Service) checkEvent(n wireNames, body schema.Object, flags Flags) (schema.Object, schema.Proven, []schema.Problem) {
	rawPatch, hasPatch := body[n.attributes]
	delete(body, n.attributes)
	schema.StripNulls(body)
	problems := s.validator.Validate(n.eventSchema, body, schema.Full, "")
	var patch schema.Object
	var proven schema.Proven
	if hasPatch && rawPatch != nil {
		var ok bool
		if patch, ok = rawPatch.(schema.Object); !ok {
			problems = append(problems, schema.Problem{Path: n.attributes, Reason: "must be an object"})
		} else {
			body[n.attributes] = patch
			stripped := schema.WithoutNulls(patch).(schema.Object)
			patchProblems, checked := s.validator.ValidateProving(n.patchSchema, stripped, schema.Patch, n.attributes)
			problems, proven = append(problems, patchProblems...), checked
			for _, f := range immutableInPatch {
				if _, set := patch[f]; set {
					problems = append(problems, schema.Problem{Path: n.attributes + "." + f,
						Reason: "is set by the server or at creation and cannot be changed by an event"})
				}
			}
		}
	}
	if _, ok := body["newUserId"]; flags.ChangeUserID && !ok {
		problems = append(problems, schema.Problem{Path: "newUserId", Reason: "is required with changeUserId=true"})
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Path < problems[j].Path })
	return patch, proven, problems
}

// history reads rec's history: in the write when tx is set, else from the store, up to
// rec.LastSeq (entries never change; a write after rec was read may have added more).
func (s *Service) history(ctx context.Context, tx Tx, rec UserRecord) ([]Entry, error) {
	if tx != nil {
		entries, err := tx.Entries(ctx, rec.TenantID, rec.UID)
		if err != nil {
			return nil, fmt.Errorf("read the history of user %q: %w", rec.UserID, err)
		}
		return entries, nil
	}
	entries, err := s.store.UserEntries(ctx, rec.TenantID, rec.UID)
	if err != nil {
		return nil, fmt.Errorf("read the history of user %q: %w", rec.UserID, err)
	}
	n := 0
	for n < len(entries) && entries[n].Seq <= rec.LastSeq {
		n++
	}
	if n == 0 || entries[n-1].Seq != rec.LastSeq {
		// rec is ahead of the store (a batch's record computed on the one before it): its
		// history is not all stored yet, so this outcome is computed in the write instead.
		return nil, errHistoryAhead
	}
	return entries[:n], nil
}

// errHistoryAhead stops an outcome computed ahead on a row whose history the store does not
// hold yet.
var errHistoryAhead = errors.New("the user's history is not stored yet")

// lastConversion is the ordering timestamp of the latest change of type in a history, 0 if none.
func lastConversion(history []Entry) int64 {
	var last int64
	for _, e := range history {
		if e.Type == EntryConvert {
			last = max(last, e.Timestamp)
		}
	}
	return last
}

// rename gives a user a new userId; its history moves with it (entries reference the UID).
func (s *Service) rename(ctx context.Context, tx Tx, rec *UserRecord, newUserID string) error {
	if newUserID == rec.UserID {
		return nil
	}
	_, err := tx.LockUser(ctx, rec.TenantID, newUserID)
	if err == nil {
		return withReason(conflictf("newUserId %q is already taken by another user", newUserID), ReasonConflict)
	}
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	rec.UserID = newUserID
	return nil
}

// Event handles GET /events/consumer/user/{eventId} and GET /events/business/user/{eventId}: the
// event as received plus the rule and risk results computed when it was applied.
func (s *Service) Event(ctx context.Context, tenant Tenant, kind Kind, eventID string) ([]byte, error) {
	e, err := s.store.Event(ctx, tenant.ID, kind, eventID)
	if errors.Is(err, ErrNotFound) {
		return nil, notFoundf("No %s event with eventId %q", names[kind].noun, eventID)
	}
	if err != nil {
		return nil, err
	}
	evaluation, err := s.entryEvaluation(ctx, e)
	if err != nil {
		return nil, err
	}
	var ev eventEvaluation
	if err := json.Unmarshal(evaluation, &ev); err != nil {
		return nil, err
	}
	if ev.ExecutedRules == nil {
		ev.ExecutedRules = []schema.Object{}
	}
	if ev.HitRules == nil {
		ev.HitRules = []schema.Object{}
	}
	return withFields(e.Body, mustEncode(ev)), nil
}
