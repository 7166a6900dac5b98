-- What identifies the loaded data of one table ($1): its manifest rows.
SELECT coalesce(string_agg(source || '|' || sha256 || '|' || rows || '|'
                           || CAST(loaded_at AS VARCHAR), ';' ORDER BY source), '')
FROM load_manifest
WHERE tbl = $1;
