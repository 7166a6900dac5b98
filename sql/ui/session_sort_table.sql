-- The session cache stored in one sort order ({table}, {key} from the fixed list in
-- src/store/session_browse.rs), made the first time the browser is sorted that way and
-- dropped whenever the cache is rebuilt.
CREATE OR REPLACE TABLE {table} AS SELECT * FROM ui_session_cache ORDER BY {key};
