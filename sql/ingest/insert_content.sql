-- A content ingested for the first time: $1 id, $2 head SHA-256, $3 head length, $4 bytes
-- taken, $5 their SHA-256, $6 lines taken, $7 the file it was read from.
INSERT INTO ingest_content VALUES ($1, $2, $3, $4, $5, $6, $7, $7);
