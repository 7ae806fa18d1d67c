-- Short prefix terms (vigil.TermShort, "pfx:smi"): a user is indexed for search once its terms
-- hold them. Every user has one (of its id), and a term other than "*" always follows a
-- newline in users.terms, which no term contains. Users indexed before this migration are
-- found here by Service.IndexUsers and given the rest of their terms; once it has, this index
-- is empty. The predicate is sqlrow.UnindexedUsersWhere, which must stay the same text.
DROP INDEX users_unindexed;
CREATE INDEX users_unindexed ON users (tenant_id, uid) WHERE terms NOT LIKE '%
pfx:%';
