-- A search that checks a text on each user (vigil.UserQuery.AnyByUser) finds it in the user's
-- row (users.terms) now, so the by-user index of the terms goes: it was half of what the term
-- index stored and wrote (1.5 KB a user), for that one query.
DROP INDEX user_terms_by_user;
