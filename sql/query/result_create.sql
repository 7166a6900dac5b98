-- The console's result table, made empty with the statement's columns and types (binding
-- only: nothing runs); the rows are appended as the statement streams them, and read a
-- page at a time by rowid, which is the result's order. <sql> is the user's statement,
-- on its own lines so a trailing comment cannot swallow the parenthesis.
CREATE OR REPLACE TABLE perx_scratch.result AS
SELECT * FROM (
{sql}
) LIMIT 0;
