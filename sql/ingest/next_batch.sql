-- The number of the next ingest batch.
SELECT coalesce(max(id), 0) + 1 FROM ingest_batch;
