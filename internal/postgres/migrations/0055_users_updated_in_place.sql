-- Every event's update of a user changes its terms, and users_unindexed's predicate read them,
-- so PostgreSQL could not update a user in place (a heap-only tuple, HOT): each update put a
-- new entry in each of the table's indexes. The predicate reads a stored generated column now,
-- whose value a user's update leaves as it was (false once the user is indexed), and the table
-- leaves a third of each page free for the new versions. Adding the column rewrites the table
-- once. Service.IndexUsers finds the users of this index (UnindexedUsers) as before.
ALTER TABLE users ADD COLUMN legacy_terms boolean GENERATED ALWAYS AS (terms NOT LIKE '%
pfx:%') STORED;
CREATE INDEX users_legacy_terms ON users (tenant_id, uid) WHERE legacy_terms;
DROP INDEX users_unindexed;
ALTER TABLE users SET (fillfactor = 70);
