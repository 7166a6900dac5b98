-- Forgets every ingest: a load that replaces the log (perx load) starts the record anew.
DELETE FROM ingest_range;
DELETE FROM ingest_batch;
DELETE FROM ingest_seen;
DELETE FROM ingest_content;
