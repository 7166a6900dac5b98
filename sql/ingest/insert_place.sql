-- Remembers a place ingested from ($1 absolute path, $2 a directory's pattern or NULL),
-- once.
INSERT INTO ingest_place
SELECT $1, $2
WHERE NOT EXISTS (SELECT 1 FROM ingest_place WHERE path = $1 AND pattern IS NOT DISTINCT FROM $2);
