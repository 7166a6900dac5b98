-- The fingerprint last synced to one destination table ($1 project.dataset, $2 table).
SELECT fingerprint FROM bq_sync_state WHERE destination = $1 AND tbl = $2;
