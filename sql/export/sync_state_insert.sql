-- Records a table synced ($1 destination, $2 table, $3 fingerprint, $4 rows).
INSERT INTO bq_sync_state VALUES ($1, $2, $3, $4, now()::TIMESTAMP);
