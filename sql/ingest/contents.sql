-- What was taken of each log content ingested so far.
SELECT id, head_sha, head_len, text_len, text_sha, lines FROM ingest_content ORDER BY id;
