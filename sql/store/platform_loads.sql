-- What the platform data in the database is: the manifest rows of the platform tables.
-- Any new load of them changes this text; the session cache and the saved reward model
-- are marked with it and rebuilt when it changes.
SELECT coalesce(string_agg(tbl || '|' || source || '|' || sha256 || '|' || rows || '|'
                           || CAST(loaded_at AS VARCHAR), ';' ORDER BY tbl, source), '')
FROM load_manifest
WHERE tbl NOT LIKE 'ml\_%' ESCAPE '\';
