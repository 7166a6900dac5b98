SELECT source, tbl, path, sha256, rows, rejected, CAST(loaded_at AS VARCHAR), seconds
FROM load_manifest
ORDER BY loaded_at, source;
