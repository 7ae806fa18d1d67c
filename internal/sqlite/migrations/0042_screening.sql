-- Sanctions and PEP screening (issue 23). screening_lists holds one row per list, official
-- (tenant_id '') or a tenant's own; screening_entries its entries with their content digests, so
-- a new version of a list is compared entry by entry. screening_state has one row whose version
-- changes with every list change: each server polls it to reload its index.
CREATE TABLE screening_lists (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    source       TEXT NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    format       TEXT NOT NULL,
    published    TEXT NOT NULL,
    entries      BIGINT NOT NULL,
    refreshed_at BIGINT NOT NULL,
    version      TEXT NOT NULL
);
CREATE TABLE screening_entries (
    list_id  TEXT NOT NULL REFERENCES screening_lists (id),
    entry_id TEXT NOT NULL,
    digest   TEXT NOT NULL,
    body     BLOB NOT NULL,
    PRIMARY KEY (list_id, entry_id)
);
CREATE TABLE screening_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO screening_state (id, version) VALUES (1, 0);
-- Searches that found matches, answered by GET /screening/searches/{searchId}.
CREATE TABLE screening_searches (
    tenant_id  TEXT NOT NULL,
    search_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    body       BLOB NOT NULL,
    PRIMARY KEY (tenant_id, search_id)
);
CREATE INDEX screening_searches_user ON screening_searches (tenant_id, user_id);
-- Matches cleared as false positives: (user, hit) with the digest of the entry cleared.
CREATE TABLE screening_clearings (
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    hit_id     TEXT NOT NULL,
    digest     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, hit_id)
);
