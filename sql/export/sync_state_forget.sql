-- Forgets what was synced to one destination table ($1 destination, $2 table).
DELETE FROM bq_sync_state WHERE destination = $1 AND tbl = $2;
