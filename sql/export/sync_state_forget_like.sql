-- Forgets what was synced to one destination ($1) for the tables named like $2 (the
-- log's batches, http_log#FILE, when the log is replaced).
DELETE FROM bq_sync_state WHERE destination = $1 AND tbl LIKE $2;
