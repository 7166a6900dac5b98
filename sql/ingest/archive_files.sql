-- The Avro files of committed batches (the log's archive).
SELECT avro FROM ingest_range WHERE avro IS NOT NULL;
