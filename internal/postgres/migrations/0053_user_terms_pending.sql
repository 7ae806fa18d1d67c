-- The term index is brought up to date in batches, off the events' transactions (terms.go): a
-- write that changes a user's terms records here the terms the index holds for the user
-- (indexed, newline-joined as users.terms, kept from the first such write until the next batch)
-- and its terms now; a batch moves the index from the one to the other and deletes the row.
-- Searches and term counts apply what is here before they read.
CREATE TABLE user_terms_pending (
    tenant_id  TEXT NOT NULL,
    uid        TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    indexed    TEXT NOT NULL,
    terms      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, uid)
);
