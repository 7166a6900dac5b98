-- A number column's mean, 5th percentile, median and 95th percentile (interpolated), as
-- text, to 6 decimals. <x> is the column as a DOUBLE.
SELECT CAST(round(avg({x}), 6) AS VARCHAR),
       CAST(round(quantile_cont({x}, 0.05), 6) AS VARCHAR),
       CAST(round(quantile_cont({x}, 0.5), 6) AS VARCHAR),
       CAST(round(quantile_cont({x}, 0.95), 6) AS VARCHAR)
FROM {table};
