-- The sessions table stored in one sort order, ranked: <table>, <order> from the fixed
-- list in src/store/session_browse.rs. Made the first time the browser is sorted that way
-- and dropped whenever the sessions table changes.
CREATE OR REPLACE TABLE {table} AS
SELECT *, row_number() OVER (ORDER BY {order}) AS k
FROM http_log_session
ORDER BY k;
