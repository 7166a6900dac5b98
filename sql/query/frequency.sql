-- The frequency table of one column of <table> (the result, or the view's rows): each value, how many rows hold it, its
-- share; most frequent first (ties by value), at most $1 values. <column> is a quoted
-- column name of the result.
SELECT {column} AS value, count(*) AS n, 100.0 * count(*) / sum(count(*)) OVER () AS pct
FROM {table}
GROUP BY ALL
ORDER BY n DESC, value NULLS LAST
LIMIT $1;
