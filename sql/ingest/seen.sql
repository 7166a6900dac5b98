-- The files read by earlier ingests: size and SHA-256 of their first and last MiB, and the
-- content each was.
SELECT raw_size, raw_head_sha, raw_tail_sha, content_id FROM ingest_seen;
