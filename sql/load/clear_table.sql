-- Empties one loaded table before its file is loaded again (inside the load transaction).
-- {table} is replaced by a name from the fixed list in src/store/load.rs, never by input.
DELETE FROM {table};
