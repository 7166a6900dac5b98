-- A bar chart of the stored result (<table>: perx_scratch.result or the grid's filtered
-- view): the <limit> largest categories of <x> (a quoted column name) by <values> (one
-- aggregate named v0: the sum of a number column, or the rows), ties by category. Columns:
-- the category as text, its rank, the value.
SELECT label, CAST(row_number() OVER (ORDER BY v0 DESC NULLS LAST, label) AS DOUBLE) AS x, v0
FROM (
    SELECT CAST({x} AS VARCHAR) AS label, {values}
    FROM {table}
    GROUP BY ALL
)
ORDER BY x
LIMIT {limit};
