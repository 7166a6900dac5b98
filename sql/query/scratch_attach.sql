-- The SQL console's scratch space: an in-memory database attached to the instance, so
-- every connection (the UI's and its worker's) sees the result it holds, and nothing of
-- it is written to the user's database file.
ATTACH IF NOT EXISTS ':memory:' AS perx_scratch;
