-- The session cache stored in one sort order, ranked: <table>, <order> from the fixed list
-- in src/store/session_browse.rs. Made the first time the browser is sorted that way and
-- dropped whenever the cache is rebuilt.
CREATE OR REPLACE TABLE {table} AS
SELECT *, row_number() OVER (ORDER BY {order}) AS k
FROM ui_session_cache
ORDER BY k;
