-- Each user's fold index (vigil/foldindex.go): where in its history every path of its profile was
-- last written, so a late event refolds only the paths it writes. NULL until the user's next late
-- event refolds its history (users written before this migration, or after retention pruned it).
ALTER TABLE users ADD COLUMN fold_index BLOB;
