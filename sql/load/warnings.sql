-- The integrity warnings of the last load, for the summary.
SELECT source, line_no, problem FROM load_warning ORDER BY source, line_no;
