-- A content that grew and was taken further: $1 id, $2 head SHA-256, $3 head length,
-- $4 bytes taken now, $5 their SHA-256, $6 lines taken now, $7 the file it was read from.
UPDATE ingest_content
SET head_sha = $2, head_len = $3, text_len = $4, text_sha = $5, lines = $6, last_path = $7
WHERE id = $1;
