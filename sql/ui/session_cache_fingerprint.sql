-- What the session cache is built from: the manifest rows of the platform tables. Any new
-- load of them changes this text, and the TUI then rebuilds the cache.
SELECT coalesce(string_agg(tbl || '|' || source || '|' || sha256 || '|' || rows || '|'
                           || CAST(loaded_at AS VARCHAR), ';' ORDER BY tbl, source), '')
FROM load_manifest
WHERE tbl NOT LIKE 'ml\_%' ESCAPE '\';
