-- Rows per bin of $1 equal-width bins from the smallest to the largest value of <x> (the
-- column as a number) in <table>; the largest value falls in the last bin, a column of one
-- value in the first. Only bins with rows are returned.
WITH v AS (SELECT {x} AS x FROM {table} WHERE {column} IS NOT NULL),
     r AS (SELECT min(x) AS lo, max(x) AS hi FROM v)
SELECT least(CAST(floor((x - lo) * $1 / CASE WHEN hi > lo THEN hi - lo ELSE 1 END) AS BIGINT),
             $1 - 1) AS bin,
       count(*) AS n
FROM v, r
GROUP BY bin
ORDER BY bin;
