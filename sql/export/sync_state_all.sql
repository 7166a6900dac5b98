-- Every table synced to one destination ($1 project.dataset), for a provenance sidecar.
SELECT tbl, fingerprint, rows, CAST(synced_at AS VARCHAR) FROM bq_sync_state
WHERE destination = $1 ORDER BY tbl;
