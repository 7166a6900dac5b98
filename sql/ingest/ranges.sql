-- Every range ingested, in the order taken: its file (the load_reject source) and its
-- Avro file in the archive.
SELECT path, avro, rows FROM ingest_range WHERE avro IS NOT NULL ORDER BY batch_id, line_base;
