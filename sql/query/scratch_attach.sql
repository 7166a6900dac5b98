-- The SQL console's scratch space: a database file in a temporary folder (removed when
-- perx closes the database), attached to the instance, so every connection (the UI's and
-- its worker's) sees the result it holds, DuckDB can page it out of memory, and nothing of
-- it is written to the user's database. <path> is that file, as a string literal.
ATTACH IF NOT EXISTS {path} AS perx_scratch;
