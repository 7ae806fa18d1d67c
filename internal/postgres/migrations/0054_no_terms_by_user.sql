-- A search that checks a text on each user (vigil.UserQuery.AnyByUser) finds it in the user's
-- row (users.terms) now, and an erasure deletes the user's index rows by their keys, so the
-- by-user index of the terms goes: it was a third of what the term index stored and wrote.
DROP INDEX user_terms_by_user;
