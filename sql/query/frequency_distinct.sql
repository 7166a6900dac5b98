-- How many distinct values (NULL counted as one) one column of <table> has.
SELECT count(DISTINCT {column}) + max(CASE WHEN {column} IS NULL THEN 1 ELSE 0 END)
FROM {table};
