-- The console's result filled by DuckDB itself (made empty by result_create.sql first).
-- <sql> as in result_create.sql.
INSERT INTO perx_scratch.result
SELECT * FROM (
{sql}
);
