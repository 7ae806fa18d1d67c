-- A pending user's terms now are read from users.terms when its batch runs, so a write after
-- the first since the last batch leaves user_terms_pending alone (terms.go): the column that
-- each such write rewrote goes. What was pending stays pending, with the terms its row has.
ALTER TABLE user_terms_pending DROP COLUMN terms;
