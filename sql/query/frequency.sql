-- The frequency table of one column of <table> (the result, or the view's rows): the most
-- frequent values of <column> (a quoted column name of the result; at most $1, ties by
-- value), each with its rows and share, and how many groups there are in all (NULL being
-- one): the distinct count comes from the same pass.
WITH g AS (
    SELECT {column} AS value, count(*) AS n
    FROM {table}
    GROUP BY ALL
)
SELECT value, n, 100.0 * n / sum(n) OVER () AS pct, count(*) OVER () AS groups
FROM g
ORDER BY n DESC, value NULLS LAST
LIMIT $1;
