-- The fingerprint of the data the sessions table holds the sessions of, when it is
-- complete (written last, after the appends, or in the ingest's transaction).
SELECT built_from FROM http_log_session_meta;
