-- Batch $1 at $2: $3 files, $4 lines read, $5 rows kept, $6 rejected, $7 seconds; its
-- first and last event from the rows it appended (the highest line numbers, so the scan is
-- short).
INSERT INTO ingest_batch
SELECT $1, $2, $3, $4, $5, $6, min(d.ts), max(d.ts), $7
FROM http_log_data d
WHERE d.line_no >= (SELECT min(line_base + from_line) FROM ingest_range WHERE batch_id = $1);
