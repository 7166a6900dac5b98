-- Whether the copy of the cache in one sort order exists ($1: its name).
SELECT count(*) FROM duckdb_tables() WHERE table_name = $1;
