-- A file read: $1 size, $2 and $3 the SHA-256 of its first and last MiB, $4 its content.
INSERT INTO ingest_seen VALUES ($1, $2, $3, $4);
