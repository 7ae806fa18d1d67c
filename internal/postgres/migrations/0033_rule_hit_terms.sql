-- Search by a rule that hit (GET /users?ruleHit=): users get the terms "hit:RULE" of their
-- latest write's hits (vigil/search_terms.go). Users indexed before this migration lack them,
-- so their terms are cleared here and Service.IndexUsers, which serve runs at start, indexes
-- them again from their latest stored response; searches miss them until it has.
DELETE FROM user_terms;
UPDATE users SET terms = '' WHERE terms <> '';
