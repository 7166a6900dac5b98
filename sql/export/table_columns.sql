-- The columns of one table, in order ($1: the table name): what a BigQuery schema is
-- derived from.
SELECT column_name, data_type, is_nullable
FROM duckdb_columns()
WHERE table_name = $1 AND schema_name = 'main'
ORDER BY column_index;
