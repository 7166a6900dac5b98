-- What `perx sync bigquery` has pushed, per destination table: the fingerprint of the
-- local data it sent (from load_manifest) and when. A rerun skips tables whose data have
-- not changed since, so an interrupted sync resumes where it stopped.
CREATE TABLE IF NOT EXISTS bq_sync_state (
    destination VARCHAR   NOT NULL,
    tbl         VARCHAR   NOT NULL,
    fingerprint VARCHAR   NOT NULL,
    rows        BIGINT    NOT NULL,
    synced_at   TIMESTAMP NOT NULL
);
