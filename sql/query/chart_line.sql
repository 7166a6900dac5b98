-- A line chart of the stored result (<table>): the rows with a value of <x> (a quoted
-- column name; <x_num> it as a number, microseconds for a time) in <limit> equal buckets
-- from its smallest to its largest value, each bucket's <values> (the mean of each number
-- column, v0, v1, …). Columns: the bucket's first x as text and as a number, the means.
WITH chart_range AS (
    SELECT min({x_num}) AS lo, max({x_num}) AS hi FROM {table} WHERE {x} IS NOT NULL
)
SELECT CAST(min({x}) AS VARCHAR) AS label, min({x_num}) AS x, {values}
FROM {table}, chart_range
WHERE {x} IS NOT NULL
GROUP BY least(CAST(floor(({x_num} - chart_range.lo) * {limit}
                          / CASE WHEN chart_range.hi > chart_range.lo
                                 THEN chart_range.hi - chart_range.lo ELSE 1 END) AS BIGINT),
               {limit} - 1)
ORDER BY x;
