-- A column summary's counts and range: rows of <table> (the stored result or the grid's
-- view), how many hold NULL in <column> (a quoted column name of the result), and its
-- smallest and largest value as text.
SELECT count(*), count(*) - count({column}),
       CAST(min({column}) AS VARCHAR), CAST(max({column}) AS VARCHAR)
FROM {table};
