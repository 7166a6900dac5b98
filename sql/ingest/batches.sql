-- The ingest batches, newest first (times as text, UTC).
SELECT id, CAST(ran_at AS VARCHAR), files, lines, rows, rejected,
       CAST(min_ts AS VARCHAR), CAST(max_ts AS VARCHAR)
FROM ingest_batch
ORDER BY id DESC;
