-- The tables and views the console offers: name, kind, column, type; perx's scratch
-- space and DuckDB's own schemas left out.
SELECT t.table_name, t.table_type, c.column_name, c.data_type
FROM information_schema.tables t
JOIN information_schema.columns c
  ON c.table_catalog = t.table_catalog
 AND c.table_schema = t.table_schema
 AND c.table_name = t.table_name
WHERE t.table_catalog <> 'perx_scratch'
  AND t.table_schema NOT IN ('information_schema', 'pg_catalog')
ORDER BY t.table_name, c.ordinal_position;
