-- The columns of the console's result, in order, with their types.
SELECT column_name, data_type
FROM duckdb_columns()
WHERE database_name = 'perx_scratch' AND table_name = 'result'
ORDER BY column_index;
