package vigil

import "context"

// Store persists tenants, keys, users and their history. Implementations live in their own
// packages (sqlite, postgres) and all pass the conformance suite in internal/storetest.
type Store interface {
	// Update runs fn in a write transaction and returns once its writes are durable. A store may
	// run the fns of several concurrent callers in one transaction (group commit); each fn is
	// isolated, so an fn that returns an error has none of its writes kept and does not affect
	// the others. fn may run more than once if the store must retry; it must not keep state
	// across runs except through its return.
	Update(ctx context.Context, fn func(Tx) error) error
	// UpdateAll runs fns in order, each isolated like an Update, sharing commits between them
	// (a batch of records), and returns each one's error once all are durable. The second
	// result is an error that stopped the whole run (then nothing after the failure applied).
	UpdateAll(ctx context.Context, fns []func(Tx) error) ([]error, error)

	// KeyByHash finds an API key, revoked or not, with the tenant that owns it, or ErrNotFound.
	KeyByHash(ctx context.Context, keyHash []byte) (APIKey, Tenant, error)
	// Keys lists a tenant's API keys, revoked ones included, oldest first.
	Keys(ctx context.Context, tenantID string) ([]APIKey, error)
	// CountKeys counts API keys across every tenant, revoked ones included.
	CountKeys(ctx context.Context) (int, error)
	// User reads a user by its client id, or ErrNotFound.
	User(ctx context.Context, tenantID, userID string) (UserRecord, error)
	// UserEntries reads a user's history (by its UID) in arrival order, outside any write, as
	// Tx.Entries does inside one: entries never change once written, so those up to a record's
	// LastSeq are that record's history whenever they are read.
	UserEntries(ctx context.Context, tenantID, userUID string) ([]Entry, error)
	// UserWithResponse reads a user like User and, in the same snapshot, the Response of its
	// newest history entry that has one (nil if none).
	UserWithResponse(ctx context.Context, tenantID, userID string) (UserRecord, []byte, error)
	// EntryResults reads one entry of a user's history (by its UID and seq) with its results:
	// Evaluation, Response, Shadow and Risk; ErrNotFound if there is none.
	EntryResults(ctx context.Context, tenantID, userUID string, seq int64) (Entry, error)
	// Event reads an event entry by its eventId within the events of one kind, or ErrNotFound.
	Event(ctx context.Context, tenantID string, kind Kind, eventID string) (Entry, error)
	// RiskModel reads a tenant's own risk model, or ErrNotFound when it uses the default.
	RiskModel(ctx context.Context, tenantID string) (RiskModelRecord, error)
	// RuleSetVersion reads the version of a tenant's rules, or ErrNotFound if it never had any.
	RuleSetVersion(ctx context.Context, tenantID string) (string, error)
	// ConfigVersion reads a number that changes, in the same transaction, with every change of
	// the tenant's risk model, rules or webhook endpoints (by any process), or ErrNotFound for
	// an unknown tenant.
	ConfigVersion(ctx context.Context, tenantID string) (int64, error)
	// Rules lists a tenant's rules by instance id.
	Rules(ctx context.Context, tenantID string) ([]RuleRecord, error)
	// RuleVersions lists every version of one rule, oldest first (Document nil for a deletion).
	RuleVersions(ctx context.Context, tenantID, ruleInstanceID string) ([]RuleRecord, error)
	// RuleList reads the document of a tenant's rule list by its key, or ErrNotFound.
	RuleList(ctx context.Context, tenantID, key string) ([]byte, error)
	// Batch reads a batch's header, or ErrNotFound.
	Batch(ctx context.Context, tenantID, kind, batchID string) (BatchRecord, error)
	// SearchUsers lists a tenant's users matching q, newest first (by CreatedAt, then UID), at
	// most q.Limit, from the term index: erased users are never listed.
	SearchUsers(ctx context.Context, tenantID string, q UserQuery) ([]UserRecord, error)
	// UnindexedUsers lists at most limit users whose Terms are empty: users last written before
	// the store kept search terms (Service.IndexUsers indexes them).
	UnindexedUsers(ctx context.Context, limit int) ([]UserRecord, error)
	// BatchEntries reads the history entries of a batch's successful records (with their
	// evaluations and responses), in record order, skipping offset and returning at most limit.
	BatchEntries(ctx context.Context, tenantID, kind, batchID string, offset, limit int) ([]Entry, error)
	// RateLimits lists every tenant's own rate limit (tenants without one are absent).
	RateLimits(ctx context.Context) ([]RateLimit, error)

	// RiskModelVersions lists every version of a tenant's own risk model, oldest first.
	RiskModelVersions(ctx context.Context, tenantID string) ([]RiskModelRecord, error)

	WebhookStore
	AuditStore
	RuleHitStore
	OverviewStore
	ScreeningStore

	// Analysts lists a tenant's analysts by email.
	Analysts(ctx context.Context, tenantID string) ([]Analyst, error)
	// AnalystByEmail finds an analyst by its (lower-cased) email, with its tenant, or
	// ErrNotFound.
	AnalystByEmail(ctx context.Context, email string) (Analyst, Tenant, error)

	// SessionByHash reads a console session by its token's hash, with its analyst and tenant,
	// or ErrNotFound (expired sessions included: the caller checks ExpiresAt).
	SessionByHash(ctx context.Context, tokenHash []byte) (SignedIn, error)

	// PruneCandidates lists users (at most limit) that have entries, other than their creation
	// and their keep newest entries, dated before the cutoff (epoch ms).
	PruneCandidates(ctx context.Context, cutoff int64, keep, limit int) ([]PruneCandidate, error)
	// ErasedAt reads when a user id was erased (milliseconds), or ErrNotFound if it never was.
	ErasedAt(ctx context.Context, tenantID, userID string) (int64, error)
	// ForgetErased makes the data of erasures already committed unrecoverable from the store's
	// files, as far as the store can (SQLite: a truncating WAL checkpoint, its pages having been
	// zeroed on delete; PostgreSQL: nothing, see docs/erasure.md).
	ForgetErased(ctx context.Context) error

	// Close waits for writes in flight and releases the store.
	Close() error
}

// Tx is the view of a write transaction. Reads through a Tx see the transaction's own writes.
type Tx interface {
	// TenantByName finds a tenant, or ErrNotFound.
	TenantByName(ctx context.Context, name string) (Tenant, error)
	CreateTenant(ctx context.Context, t Tenant) error
	CreateKey(ctx context.Context, k APIKey) error
	// EraseUser deletes a user's row, its history, its batch records and its webhook deliveries
	// (with their attempts), replaces its id in stored batch answers, and records its tombstone.
	EraseUser(ctx context.Context, e Erasure) error
	// PruneEntries folds away part of a user's history: the creation entry (createSeq) gets
	// createBody as its body, and the entries with the seqs removed are deleted. The user's
	// FoldIndex is cleared (set to NULL): it places writes by entries that are gone.
	PruneEntries(ctx context.Context, tenantID, userUID string, createSeq int64, createBody []byte, removed []int64) error
	// ErasedAt is Store.ErasedAt in the transaction.
	ErasedAt(ctx context.Context, tenantID, userID string) (int64, error)

	// PutAnalyst creates an analyst; ErrDuplicate if its email is taken.
	PutAnalyst(ctx context.Context, a Analyst) error
	// DeleteAnalyst deletes a tenant's analyst by email, with its sessions, or returns
	// ErrNotFound.
	DeleteAnalyst(ctx context.Context, tenantID, email string) error
	// PutSession stores a console session.
	PutSession(ctx context.Context, s Session) error
	// DeleteSession deletes a console session (none is not an error).
	DeleteSession(ctx context.Context, tokenHash []byte) error
	// DeleteSessionsEndedBefore deletes the sessions whose ExpiresAt is at or before at.
	DeleteSessionsEndedBefore(ctx context.Context, at int64) error

	// KeyByID reads an API key by its id, in any tenant, or ErrNotFound.
	KeyByID(ctx context.Context, id string) (APIKey, error)
	// RevokeKey marks a key revoked at the time given (milliseconds); ErrNotFound for an
	// unknown id. Revoking a revoked key keeps its first revocation time.
	RevokeKey(ctx context.Context, id string, at int64) error
	// TouchKey records when a key was last used (milliseconds).
	TouchKey(ctx context.Context, id string, at int64) error

	// ConfigVersion is Store.ConfigVersion read in the transaction.
	ConfigVersion(ctx context.Context, tenantID string) (int64, error)

	// LockUser reads a user for update: until the transaction ends no other writer changes it.
	// It returns ErrNotFound when the tenant has no user with that id.
	LockUser(ctx context.Context, tenantID, userID string) (UserRecord, error)
	// LatestResponse reads the Response of the user's newest history entry that has one, or
	// ErrNotFound.
	LatestResponse(ctx context.Context, tenantID, userUID string) ([]byte, error)
	// InsertUser creates a user; ErrDuplicate if the id was taken concurrently.
	InsertUser(ctx context.Context, u UserRecord) error
	// UpdateUser replaces a user's row, found by its UID.
	UpdateUser(ctx context.Context, u UserRecord) error

	// WriteUser stores one write of a user: its row (InsertUser when create, else UpdateUser,
	// with their errors), then its history entries, outbox deliveries and audit record (as
	// AppendAudit), in order, and returns the first error. A store may send them to the
	// database together.
	WriteUser(ctx context.Context, u UserRecord, create bool, entries []Entry, deliveries []Delivery, audit AuditRecord) error
	// WriteUserIf is WriteUser for an update computed before its transaction (its audit record
	// included): it stores the write only while the user based.UserID still has based's UID and LastSeq and its tenant's
	// ConfigVersion (0 without a tenant row) is still based's, and reports whether it did. When
	// something moved it writes nothing and reports false, so the caller computes again. It
	// never renames: u.UserID is based.UserID. When it stores the write, the unit must end
	// there, without an error: as the unit's first statement, a store may commit it at once,
	// in one round trip, and refuse any statement after it.
	WriteUserIf(ctx context.Context, based UserVersion, u UserRecord, entries []Entry, deliveries []Delivery, audit AuditRecord) (bool, error)

	// Entries lists a user's history in arrival order (by Seq), without responses.
	Entries(ctx context.Context, tenantID, userUID string) ([]Entry, error)
	// EventByID finds an event entry by eventId among the events of one kind, or ErrNotFound.
	EventByID(ctx context.Context, tenantID string, kind Kind, eventID string) (Entry, error)
	// InsertEntry appends to a user's history (counting its RuleHits); ErrDuplicate if its eventId
	// was taken concurrently.
	InsertEntry(ctx context.Context, e Entry) error
	// PutRuleList stores a rule list; a key already stored is left as it is (a key names one
	// content).
	PutRuleList(ctx context.Context, l RuleList) error

	// PutRiskModel stores a tenant's own risk model, replacing any earlier one, and keeps it as
	// a version (RiskModelVersions).
	PutRiskModel(ctx context.Context, m RiskModelRecord) error

	// PutRule creates or replaces a rule, keeps the version, and sets the tenant's rule set
	// version to r.VersionID.
	PutRule(ctx context.Context, r RuleRecord) error
	WebhookTx
	AuditTx
	ScreeningTx

	// PutBatch stores a batch and its records' entries; ErrDuplicate if the batchId was taken
	// concurrently.
	PutBatch(ctx context.Context, b BatchRecord) error

	// DeleteRule removes a rule (ErrNotFound if absent), records the deletion as version
	// versionID, and sets the tenant's rule set version to it.
	DeleteRule(ctx context.Context, tenantID, ruleInstanceID, versionID string, at int64) error

	// PutRateLimit gives a tenant its own rate limit, replacing any earlier one.
	PutRateLimit(ctx context.Context, l RateLimit) error
	// DeleteRateLimit removes a tenant's own rate limit; removing none is not an error.
	DeleteRateLimit(ctx context.Context, tenantID string) error
}

// UserVersion is what a write computed ahead of its transaction was based on: the user's row and
// history (UID, LastSeq) and the tenant's configuration (ConfigVersion).
type UserVersion struct {
	UserID, UID            string
	LastSeq, ConfigVersion int64
}

// BatchRecord is a processed batch.
type BatchRecord struct {
	TenantID    string
	Kind        string
	BatchID     string
	RequestHash []byte
	// Response is the first response, replayed for an identical retry.
	Response []byte
	// Successful counts the successful records; Records references their entries (PutBatch).
	Successful int
	Records    []BatchEntryRef
	CreatedAt  int64
}

// BatchEntryRef points at the history entry one batch record produced.
type BatchEntryRef struct {
	Position int
	UserUID  string
	Seq      int64
}

// RuleRecord is a stored rule (or, from RuleVersions, one version of it).
type RuleRecord struct {
	TenantID       string
	RuleInstanceID string
	VersionID      string
	// Document is the rule as JSON (rules.Rule); nil in a version that records a deletion.
	Document  []byte
	UpdatedAt int64
}

// RiskModelRecord is a tenant's own risk model as stored.
type RiskModelRecord struct {
	TenantID string
	// Version changes whenever the model does, so parsed models can be cached by it.
	Version   string
	Document  []byte
	UpdatedAt int64
}

// Tenant is one isolated customer of a Vigil server.
type Tenant struct {
	ID        string
	Name      string
	CreatedAt int64
}

// APIKey is the stored form of a key: only its SHA-256, never the key.
type APIKey struct {
	// ID names the key in lists, logs and audit records: the first 16 hex digits of its hash.
	ID       string
	Hash     []byte
	TenantID string
	// Name is the operator's label for the key ("" when none).
	Name   string
	Scopes []Scope
	// CreatedAt, LastUsedAt and RevokedAt are milliseconds since the epoch; 0 for never.
	CreatedAt, LastUsedAt, RevokedAt int64
}

// UserRecord is a user's current state.
type UserRecord struct {
	TenantID string
	// UID is Vigil's own id for the user; it never changes, so a rename is one row update.
	UID    string
	UserID string
	Kind   Kind
	// Profile is the current profile as JSON: the fold of the history.
	Profile []byte
	// Evaluation is written empty and not read: the latest rule and risk results are in the
	// response of the user's newest entry, so each write stores them once. The column stays in
	// both schemas (dropping it is a migration of its own).
	Evaluation []byte
	// Risk is the JSON of the user's risk state (risk.State): locks, computed scores, activity
	// and the explanation. Empty before the first assessment.
	Risk []byte
	// Rules is the JSON of the user's rule state (history aggregates, latest shadow results).
	Rules []byte
	// MaxTimestamp is the largest ordering timestamp among the history after the creation; an
	// event at or after it folds incrementally, an earlier one refolds the history.
	MaxTimestamp int64
	// FoldIndex is the user's fold index (foldindex.go): for each path of the profile, where in
	// the history it was last written, so a late event refolds only what it changes. nil when
	// none is stored (a user written before it existed, or after PruneEntries): the next late
	// event refolds the history and stores one. A store keeps it as it is given.
	FoldIndex []byte
	// LastSeq is the Seq of the newest entry.
	LastSeq   int64
	CreatedAt int64
	UpdatedAt int64
	// Terms are the user's search terms (search_terms.go), joined by newlines; the store keeps
	// them in its term index, under (tenant, term, CreatedAt, UID).
	Terms string
	// TermsAdded and TermsRemoved are what a write changes in the term index: a store inserts
	// and deletes them with the row (InsertUser and UpdateUser, WriteUser and WriteUserIf), or
	// later, provided its searches and term counts see every write acknowledged before them
	// (the SQLite store indexes in batches). They are not read back.
	TermsAdded, TermsRemoved []string
}

// EntryType says what an entry of a user's history is.
type EntryType string

// The kinds of history entry.
const (
	// EntryCreate is the first entry: the create body.
	EntryCreate EntryType = "CREATE"
	// EntryEvent is a user event: its patch is body[attributes].
	EntryEvent EntryType = "EVENT"
	// EntryUpdate is a re-POST with validateUserId=false: its top-level fields replace.
	EntryUpdate EntryType = "UPDATE"
	// EntryConvert changes the user's type to EventKind (allowUserTypeConversion); it sits right
	// before the event that asked for it. Its body is {"from": KIND, "to": KIND}.
	EntryConvert EntryType = "CONVERT"
	// EntrySystem is a change Vigil made itself: a rule's triggersOnHit, right after the write
	// that caused it, with body {"patch": merge patch, "ruleInstanceIds": [...]}; or a screening
	// of the user's names that a list change or a cleared match made (screening_system.go), with
	// body {"patch": {}, "screening": "ongoing" or "cleared"}.
	EntrySystem EntryType = "SYSTEM"
)

// Entry is one element of a user's history.
type Entry struct {
	TenantID string
	UserUID  string
	// Seq is the arrival order within the user, from 1.
	Seq  int64
	Type EntryType
	// Timestamp orders the entry in the fold (epoch ms); ties go by Seq.
	Timestamp int64
	// EventKind is the kind of the endpoint an event was posted to (its eventId namespace).
	EventKind Kind
	EventID   string
	// Body is the create or update body, or the event as received (with its eventId).
	Body []byte
	// RequestHash fingerprints the request for idempotent replay (events with a client eventId).
	RequestHash []byte
	// Evaluation is the JSON of the rule and risk results computed when the entry was applied.
	Evaluation []byte
	// Response is the first response body, replayed for an identical retry.
	Response []byte
	// Shadow is the JSON of the shadow rules' results of this write.
	Shadow []byte
	// Risk is the JSON of the risk state this write computed (risk.State: scores, factors,
	// floors), for the point-in-time view; nil for entries without an evaluation and those
	// written before it was kept. Only InsertEntry, the writes and EntryResults carry it.
	Risk []byte
	// RuleHits are the rules this write hit (shadow rules' would-hits included), each once: a
	// store adds them to its hit counters (RuleHitStore) with the entry's insert, at the hour
	// of CreatedAt. They are not read back.
	RuleHits  []RuleHit
	CreatedAt int64
}
