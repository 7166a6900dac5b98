-- A time column's mean, 5th percentile, median and 95th percentile (values of the column,
-- not interpolated), as text. <x> is the column in microseconds since the epoch (DOUBLE).
SELECT CAST(make_timestamp(CAST(avg({x}) AS BIGINT)) AS VARCHAR),
       CAST(quantile_disc({column}, 0.05) AS VARCHAR),
       CAST(quantile_disc({column}, 0.5) AS VARCHAR),
       CAST(quantile_disc({column}, 0.95) AS VARCHAR)
FROM {table};
