INSERT INTO load_manifest (source, tbl, path, sha256, rows, rejected, loaded_at, seconds)
VALUES ($1, $2, $3, $4, $5, $6, $8, $7);
