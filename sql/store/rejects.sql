-- Rejected lines, in file order; $1 = source file name, or NULL for every source.
SELECT source, line_no, reason, raw
FROM load_reject
WHERE $1 IS NULL OR source = $1
ORDER BY source, line_no;
