package vigil

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/vigil-aml/vigil/internal/schema"
)

// BatchKind is one of the four batch endpoints.
type BatchKind string

// The batch kinds.
const (
	BatchConsumerUsers  BatchKind = "CONSUMER_USERS"
	BatchBusinessUsers  BatchKind = "BUSINESS_USERS"
	BatchConsumerEvents BatchKind = "CONSUMER_USER_EVENTS"
	BatchBusinessEvents BatchKind = "BUSINESS_USER_EVENTS"
)

// MaxBatchRecords is the most records one batch may hold.
const MaxBatchRecords = 10000

// userKind is the kind of user a batch writes.
func (b BatchKind) userKind() Kind {
	if b == BatchBusinessUsers || b == BatchBusinessEvents {
		return Business
	}
	return Consumer
}

func (b BatchKind) events() bool { return b == BatchConsumerEvents || b == BatchBusinessEvents }

// listField is the field of the batch GET response that lists the records.
func (b BatchKind) listField() string {
	return map[BatchKind]string{BatchConsumerUsers: "consumerUsers", BatchBusinessUsers: "businessUsers",
		BatchConsumerEvents: "consumerUserEvents", BatchBusinessEvents: "businessUserEvents"}[b]
}

// batchResponse is the wire's BatchResponse.
type batchResponse struct {
	Status        string         `json:"status"`
	BatchID       string         `json:"batchId"`
	Successful    int            `json:"successful"`
	Failed        int            `json:"failed"`
	FailedRecords []failedRecord `json:"failedRecords"`
	Message       string         `json:"message,omitempty"`
}

type failedRecord struct {
	ID         string `json:"id"`
	ReasonCode string `json:"reasonCode"`
}

// batchRecord is one record of a batch on its way through the write path.
type batchRecord struct {
	position int
	id       string
	// user or event is the prepared write (one of them).
	user  *userWrite
	event *eventWrite
	err   error
}

// unit is the record's write.
func (r *batchRecord) unit() unit {
	if r.user != nil {
		return r.user
	}
	return r.event
}

// Batch handles the four POST /batch/... endpoints: every record goes through the same write path
// as a single request (validation, idempotency, ordering, merge, rules, risk), with commits
// shared between records. Invalid records are reported and the others still apply; the batchId
// makes the whole batch idempotent. body is the decoded request body; it is modified.
func (s *Service) Batch(ctx context.Context, tenant Tenant, kind BatchKind, body schema.Object, flags Flags) ([]byte, error) {
	reply, _, err := s.BatchWithFailures(ctx, tenant, kind, body, flags)
	return reply, err
}

// BatchFailure is one record a batch refused: its position in data, its id, its reasonCode and
// every problem found in it (the wire's failedRecords carry only the code).
type BatchFailure struct {
	Position   int
	ID         string
	ReasonCode string
	Problems   []string
}

// BatchWithFailures is Batch that also returns the problems of every refused record, for
// `vigil import`. A batch replayed by its batchId returns no failures: only the stored answer.
func (s *Service) BatchWithFailures(ctx context.Context, tenant Tenant, kind BatchKind, body schema.Object, flags Flags) ([]byte, []BatchFailure, error) {
	var failures []BatchFailure
	fingerprint := schema.Fingerprint(body, flags.canonical())
	data, ok := body["data"].([]any)
	if !ok {
		return nil, nil, invalidf("data", "is required and must be an array of records")
	}
	if len(data) > MaxBatchRecords {
		return nil, nil, invalidf("data", "has %d records; a batch holds at most %d", len(data), MaxBatchRecords)
	}
	batchID, err := s.batchID(body)
	if err != nil {
		return nil, nil, err
	}
	if prior, err := s.store.Batch(ctx, tenant.ID, string(kind), batchID); err == nil {
		reply, err := s.replayBatch(prior, fingerprint[:], batchID)
		return reply, nil, err
	} else if !errors.Is(err, ErrNotFound) {
		return nil, nil, err
	}
	rs, err := s.ruleContext(ctx, tenant.ID)
	if err != nil {
		return nil, nil, err
	}

	records := s.prepareBatch(ctx, tenant, kind, batchID, data, flags, rs)
	var runnable []*batchRecord
	for _, r := range records {
		if r.err == nil {
			runnable = append(runnable, r)
		}
	}
	if kind.events() {
		// A user's events apply in timestamp order, however the batch lists them.
		sort.SliceStable(runnable, func(i, j int) bool { return runnable[i].event.timestamp < runnable[j].event.timestamp })
	}
	s.computeBatchAhead(ctx, runnable)
	fns := make([]func(Tx) error, len(runnable))
	for i, r := range runnable {
		u := r.unit()
		fns[i] = func(tx Tx) error { return u.run(ctx, s, tx) }
	}
	errs, err := s.store.UpdateAll(ctx, fns)
	if err != nil {
		return nil, nil, fmt.Errorf("store batch %q: %w", batchID, err)
	}
	for i, r := range runnable {
		r.err = errs[i]
		if u := r.unit(); retryable(r.err) || (r.err == nil && u.handBack()) {
			// Lost a race with another writer, or something its outcome was based on moved (an
			// earlier record of the user that did): run it on its own, computed again.
			if r.event != nil {
				r.event.fresh = nil // earlier records may have moved the user since it was read
			}
			u.recompute(ctx, s)
			r.err = s.commit(ctx, u)
		}
		if r.err == nil && r.user != nil && r.user.existed {
			r.err = withReason(&Error{Code: CodeConflict, Message: "user exists"}, ReasonExists)
		}
		if r.err == nil && r.event != nil {
			s.remember(r.event)
		}
	}

	resp := batchResponse{BatchID: batchID, FailedRecords: []failedRecord{}}
	rec := BatchRecord{TenantID: tenant.ID, Kind: string(kind), BatchID: batchID, RequestHash: fingerprint[:],
		CreatedAt: s.nowMillis()}
	for _, r := range records {
		if r.err != nil {
			reason, err := reasonOf(r.err)
			if err != nil { // not the record's fault: the batch fails as a whole
				return nil, nil, fmt.Errorf("batch %q record %s: %w", batchID, r.id, err)
			}
			resp.FailedRecords = append(resp.FailedRecords, failedRecord{ID: r.id, ReasonCode: reason})
			failures = append(failures, BatchFailure{Position: r.position, ID: r.id, ReasonCode: reason, Problems: problemsOf(r.err)})
			continue
		}
		uid, seq := r.entry()
		rec.Records = append(rec.Records, BatchEntryRef{Position: r.position, UserUID: uid, Seq: seq})
	}
	resp.Successful, resp.Failed = len(rec.Records), len(resp.FailedRecords)
	switch {
	case resp.Failed == 0:
		resp.Status = "SUCCESS"
	case resp.Successful == 0:
		resp.Status = "FAILURE"
	default:
		resp.Status = "PARTIAL_FAILURE"
	}
	rec.Successful, rec.Response = resp.Successful, mustEncode(resp)
	batchType := "USER_BATCH"
	if kind.events() {
		batchType = "USER_EVENT_BATCH"
	}
	completed := notification{Type: WebhookBatchCompleted, System: true, Data: map[string]any{
		"batchId": batchID, "type": batchType, "status": "COMPLETED", "totalCount": resp.Successful,
		"processedCount": resp.Successful, "createdAt": rec.CreatedAt, "completedAt": s.nowMillis()}}
	deliveries := s.deliveries(tenant.ID, rs.endpoints, []notification{completed}, "batch:"+batchID, 0)
	// Made before the write, like the records' outcomes: the store's writer only stores it.
	audit := s.auditRecord(ctx, tenant.ID, AuditBatchCreate, "batch/"+string(kind)+"/"+batchID, batchDigest(rec))
	err = s.write(ctx, func(tx Tx) error {
		if err := tx.PutBatch(ctx, rec); err != nil {
			return fmt.Errorf("store batch %q: %w", batchID, err)
		}
		if err := tx.AppendAudit(ctx, audit); err != nil {
			return fmt.Errorf("audit batch %q: %w", batchID, err)
		}
		return insertDeliveries(ctx, tx, deliveries)
	})
	if errors.Is(err, ErrDuplicate) {
		// The same batchId was processed concurrently: answer as a retry would be answered.
		prior, err := s.store.Batch(ctx, tenant.ID, string(kind), batchID)
		if err != nil {
			return nil, nil, fmt.Errorf("read batch %q: %w", batchID, err)
		}
		reply, err := s.replayBatch(prior, fingerprint[:], batchID)
		return reply, nil, err
	}
	if err != nil {
		return nil, nil, err
	}
	s.afterWrite(rs)
	return rec.Response, failures, nil
}

// batchID returns the client's batchId or a new one.
func (s *Service) batchID(body schema.Object) (string, error) {
	v, ok := body["batchId"]
	if !ok || v == nil {
		return s.newID(), nil
	}
	id, ok := v.(string)
	if !ok || id == "" || len(id) > 256 {
		return "", invalidf("batchId", "must be a string of 1 to 256 characters")
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return "", invalidf("batchId", "must not contain control characters")
		}
	}
	return id, nil
}

func (s *Service) replayBatch(prior BatchRecord, hash []byte, batchID string) ([]byte, error) {
	if string(prior.RequestHash) != string(hash) {
		return nil, withReason(conflictf("batchId %q was already used for different data; use a new batchId for a new batch", batchID), ReasonConflict)
	}
	return prior.Response, nil
}

// prepareBatch checks every record and prepares its write; a record that fails carries its error.
func (s *Service) prepareBatch(ctx context.Context, tenant Tenant, kind BatchKind, batchID string, data []any, flags Flags, rs ruleContext) []*batchRecord {
	records := make([]*batchRecord, len(data))
	seen := map[string]bool{}
	for i, d := range data {
		r := &batchRecord{position: i, id: strconv.Itoa(i)}
		records[i] = r
		obj, ok := d.(schema.Object)
		if !ok {
			r.err = invalidf(fmt.Sprintf("data[%d]", i), "must be an object")
			continue
		}
		idField := "userId"
		if kind.events() {
			idField = "eventId"
		}
		if id, ok := obj[idField].(string); ok && id != "" {
			r.id = id
			if seen[id] {
				r.err = withReason(invalidf(idField, "%q is in the batch twice", id), ReasonDuplicateInBatch)
				continue
			}
			seen[id] = true
		}
		var err error
		if kind.events() {
			r.event, err = s.prepareEvent(tenant, kind.userKind(), obj, flags, rs, fmt.Sprintf("%s-%d", batchID, i))
		} else {
			r.user, err = s.prepareCreate(tenant, kind.userKind(), obj, flags, rs)
		}
		r.err = err
	}
	return records
}

// computeBatchAhead computes the outcome of every record before the batch's transactions. A
// user's events follow each other in the batch (in timestamp order): each is computed on the
// outcome of the one before, which its transaction stores first.
func (s *Service) computeBatchAhead(ctx context.Context, runnable []*batchRecord) {
	type state struct {
		rec    UserRecord
		before userState
	}
	chained := map[string]state{}
	for _, r := range runnable {
		if err := ctx.Err(); err != nil {
			return // the request is gone: what is not computed ahead is computed in the writer
		}
		if r.user != nil {
			r.user.computeAhead(ctx, s)
			continue
		}
		w := r.event
		if prev, ok := chained[w.userID]; ok {
			w.computeAheadOn(ctx, s, prev.rec, prev.before)
		} else {
			w.computeAhead(ctx, s)
		}
		if w.ahead != nil {
			chained[w.userID] = state{rec: w.ahead.plan.rec, before: w.ahead.after}
		} else {
			delete(chained, w.userID)
		}
	}
}

func (r *batchRecord) entry() (string, int64) {
	if r.user != nil {
		return r.user.uid, r.user.seq
	}
	return r.event.uid, r.event.seq
}

// reasonOf maps a record's error to its batch reasonCode; an error that is not a client error
// is returned as an error.
func reasonOf(err error) (string, error) {
	var ve *Error
	if !errors.As(err, &ve) {
		return "", err
	}
	if ve.Reason != "" {
		return ve.Reason, nil
	}
	return ReasonValidation, nil
}

// problemsOf lists a client error's problems, or its message when it has none.
func problemsOf(err error) []string {
	var ve *Error
	if errors.As(err, &ve) && len(ve.Problems) > 0 {
		return ve.Problems
	}
	if ve != nil {
		return []string{ve.Message}
	}
	return []string{err.Error()}
}

// BatchPage handles GET /batch/.../{batchId}?page=&pageSize=: the successful records of a batch,
// each with the rule and risk results computed when it was applied. page is 1-based.
func (s *Service) BatchPage(ctx context.Context, tenant Tenant, kind BatchKind, batchID string, page, pageSize int) ([]byte, error) {
	b, err := s.store.Batch(ctx, tenant.ID, string(kind), batchID)
	if errors.Is(err, ErrNotFound) {
		return nil, notFoundf("No batch with batchId %q", batchID)
	}
	if err != nil {
		return nil, err
	}
	entries, err := s.store.BatchEntries(ctx, tenant.ID, string(kind), batchID, (page-1)*pageSize, pageSize)
	if err != nil {
		return nil, err
	}
	items := make([]json.RawMessage, len(entries))
	for i, e := range entries {
		evaluation, err := s.entryEvaluation(ctx, e)
		if err != nil {
			return nil, err
		}
		var ev eventEvaluation
		if err := json.Unmarshal(evaluation, &ev); err != nil {
			return nil, err
		}
		results := mustEncode(struct {
			ExecutedRules    any `json:"executedRules"`
			RiskScoreDetails any `json:"riskScoreDetails,omitempty"`
		}{ev.ExecutedRules, ev.RiskScoreDetails})
		items[i] = withFields(e.Body, results)
	}
	return mustEncode(map[string]any{kind.listField(): items, "totalCount": b.Successful}), nil
}

// batchDigest digests a batch's references to the entries its records wrote: for each, its
// position (8 bytes), the user's UID (with its 4-byte length) and the entry's Seq (8 bytes),
// all big-endian. Each entry has its own audit record.
func batchDigest(b BatchRecord) []byte {
	var buf []byte
	for _, r := range b.Records {
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.Position))
		buf = appendField(buf, []byte(r.UserUID))
		buf = binary.BigEndian.AppendUint64(buf, uint64(r.Seq))
	}
	return digestOf(buf)
}
