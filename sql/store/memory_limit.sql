-- Caps DuckDB's memory for the whole database instance; <limit> is a size perx checked
-- (digits and a unit, e.g. 256MB).
SET memory_limit = '{limit}';
