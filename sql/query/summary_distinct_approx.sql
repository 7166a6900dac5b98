-- Distinct non-NULL values of <column> in <table>, estimated (HyperLogLog, one pass in
-- little memory): decides whether ranking the top values is worth a grouping pass.
SELECT approx_count_distinct({column}) FROM {table};
