-- Each write's risk state (scores with source and lock, every factor's value, score, weight and
-- contribution, floors) is kept with its history entry, so the console's point-in-time view
-- shows the risk as that write computed it. Entries written before have none (NULL).
ALTER TABLE user_entries ADD COLUMN risk BLOB;
