package vigil

import "context"

// ScreeningStore is the part of a Store that keeps sanctions and PEP lists, the searches that
// found matches and the matches cleared as false positives. Every Store implements it.
type ScreeningStore interface {
	// ScreeningVersion reads a number that changes, in the same transaction, with every change
	// of any list: each process polls it to know when to reload its index.
	ScreeningVersion(ctx context.Context) (int64, error)
	// ScreeningLists lists every list, official and tenants' own, by id.
	ScreeningLists(ctx context.Context) ([]ScreeningList, error)
	// ScreeningEntries calls fn with every entry of a list, by entry id; an error from fn stops
	// the read and is returned.
	ScreeningEntries(ctx context.Context, listID string, fn func(ScreeningEntry) error) error
	// ScreeningSearch reads a stored search of a tenant, or ErrNotFound.
	ScreeningSearch(ctx context.Context, tenantID, searchID string) (ScreeningSearch, error)
	// ScreeningUsers pages through every user of every tenant in (tenant id, UID) order: at
	// most limit users after (afterTenant, afterUID). Ongoing screening reads them.
	ScreeningUsers(ctx context.Context, afterTenant, afterUID string, limit int) ([]UserRecord, error)
	// ScreeningClearings lists the matches cleared for a user of a tenant, by hit id.
	ScreeningClearings(ctx context.Context, tenantID, userID string) ([]ScreeningClearing, error)
}

// ScreeningTx is the part of a Tx that writes lists, searches and clearings.
type ScreeningTx interface {
	// PutScreeningList creates or replaces a list's header, puts the entries given (new or
	// changed, by entry id), deletes the entries whose ids are in removed, and changes the
	// screening version.
	PutScreeningList(ctx context.Context, l ScreeningList, put []ScreeningEntry, removed []string) error
	// PutScreeningSearches stores searches; a search id already stored is left as it is (a unit
	// that runs again stores the same searches again).
	PutScreeningSearches(ctx context.Context, searches []ScreeningSearch) error
	// PutScreeningClearing records a cleared match, replacing an earlier clearing of the same
	// user and hit.
	PutScreeningClearing(ctx context.Context, c ScreeningClearing) error
}

// ScreeningList is one list as stored: its header and what describes its current version.
type ScreeningList struct {
	// ID names the list: the source of an official list (OFAC-SDN, EU-FSF, ...), or
	// "tenant:<tenant id>:<name>" for a tenant's own.
	ID string
	// TenantID is empty for an official list, which screens every tenant's users.
	TenantID string
	// Source is the entries' source (screening.Entry.Source); Name the list's label.
	Source, Name string
	// Kind is SANCTIONS or PEP: what a match of its entries means by default.
	Kind string
	// Format is the file format it was read from ("" for a tenant's list).
	Format string
	// Published is the publisher's date of the version held ("" when the file does not say).
	Published string
	Entries   int
	// RefreshedAt is when the list was last imported or refreshed (ms), changed or not.
	RefreshedAt int64
	// Version is a hash of the entries' digests: equal versions hold equal entries.
	Version string
}

// ScreeningEntry is one stored entry of a list.
type ScreeningEntry struct {
	ListID, EntryID string
	// Digest is the hex of screening.Entry.Digest: it changes exactly when the entry does.
	Digest string
	// Body is the entry as JSON (screening.Entry).
	Body []byte
}

// ScreeningSearch is a search that found matches, kept for GET /screening/searches/{searchId}.
type ScreeningSearch struct {
	TenantID, SearchID string
	// UserID is the screened user ("" for none).
	UserID    string
	CreatedAt int64
	// Body is the search's wire JSON.
	Body []byte
}

// ScreeningClearing is a match of a user cleared as a false positive: the hit id's entry does
// not hit the user again while its digest is the one cleared.
type ScreeningClearing struct {
	TenantID, UserID, HitID string
	Digest                  string
	Reason, Actor           string
	CreatedAt               int64
}
