-- A histogram of <x> (a quoted column name; <x_num> it as a number, microseconds for a
-- time) in the stored result (<table>): rows per each of <limit> equal-width bins from its
-- smallest to its largest value (the largest in the last bin), empty bins included.
-- <edge> is a bin's lower edge as text, from chart_range.lo, chart_range.hi and b.bin.
-- Columns: the lower edge, the bin's number, its rows.
WITH chart_range AS (
    SELECT min({x_num}) AS lo, max({x_num}) AS hi FROM {table} WHERE {x} IS NOT NULL
), counts AS (
    SELECT least(CAST(floor(({x_num} - chart_range.lo) * {limit}
                            / CASE WHEN chart_range.hi > chart_range.lo
                                   THEN chart_range.hi - chart_range.lo ELSE 1 END) AS BIGINT),
                 {limit} - 1) AS bin,
           {values}
    FROM {table}, chart_range
    WHERE {x} IS NOT NULL
    GROUP BY bin
)
SELECT {edge} AS label, CAST(b.bin AS DOUBLE) AS x, coalesce(c.v0, 0) AS v0
FROM range({limit}) AS b(bin)
CROSS JOIN chart_range
LEFT JOIN counts c ON c.bin = b.bin
ORDER BY b.bin;
