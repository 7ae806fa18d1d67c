-- User search (GET /users): each user's search terms (vigil/search_terms.go) in an index of its
-- own, keyed by (term, created_at, uid), so a search reads one term's range newest first and
-- never scans a tenant's users. users.terms keeps the row's current terms, so a write changes
-- only the terms that changed. Every user has the term "*", which lists them all; an index
-- on users led by tenant_id would tempt the planner away from the lookups by key (see 0007).
ALTER TABLE users ADD COLUMN terms TEXT NOT NULL DEFAULT '';
CREATE TABLE user_terms (
    tenant_id  TEXT NOT NULL,
    term       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    uid        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, term, created_at, uid)
) WITHOUT ROWID;
-- Users last written before this migration have no terms yet: Service.IndexUsers finds them
-- here and indexes them; once it has, this index is empty.
CREATE INDEX users_unindexed ON users (tenant_id, uid) WHERE terms = '';
