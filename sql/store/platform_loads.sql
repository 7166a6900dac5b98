-- What the platform data in the database is: the manifest rows of the platform tables and
-- the last ingest batch. Any new load or ingest changes this text; the session cache and
-- the saved reward model are marked with it and rebuilt when it changes.
SELECT coalesce(string_agg(tbl || '|' || source || '|' || sha256 || '|' || rows || '|'
                           || CAST(loaded_at AS VARCHAR), ';' ORDER BY tbl, source), '')
       || coalesce((SELECT ';ingest batch ' || max(id) FROM ingest_batch), '')
FROM load_manifest
WHERE tbl NOT LIKE 'ml\_%' ESCAPE '\';
