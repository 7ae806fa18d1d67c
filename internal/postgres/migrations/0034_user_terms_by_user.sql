-- A user's own search terms, for a text prefix that matches many users: the search walks the
-- newest users and checks each for the prefix here (vigil.UserQuery.AnyByUser) instead of
-- reading and sorting every match.
CREATE INDEX user_terms_by_user ON user_terms (tenant_id, uid, term);
