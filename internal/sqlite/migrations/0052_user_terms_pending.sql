-- The term index is brought up to date in batches, off the events' commits (terms.go): a write
-- that changes a user's terms records here, once until the next batch, the terms the index
-- holds for the user (indexed, newline-joined, as users.terms); a batch moves the index from
-- those to users.terms and deletes the row. Searches apply what is here before they read.
CREATE TABLE user_terms_pending (
    tenant_id  TEXT NOT NULL,
    uid        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    indexed    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, uid)
) WITHOUT ROWID;
