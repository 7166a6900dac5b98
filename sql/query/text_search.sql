-- The grid's text filter, when the filter is not a predicate DuckDB takes: the row's
-- columns as text, searched case-insensitively. <texts> is perx's list of the result's
-- quoted column names, each as coalesce(CAST(column AS VARCHAR), ''), <needle> the
-- user's text as a quoted literal.
concat_ws(' ', {texts}) ILIKE '%' || {needle} || '%'
