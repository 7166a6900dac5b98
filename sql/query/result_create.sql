-- The console's result, kept in DuckDB and read a page at a time (by rowid, which is the
-- result's order). <sql> is the user's statement, on its own lines so a trailing comment
-- cannot swallow the parenthesis.
CREATE OR REPLACE TABLE perx_scratch.result AS
SELECT * FROM (
{sql}
);
