-- Every row of one exportable table (a name from perx's fixed list), in load order.
SELECT * FROM {table} ORDER BY line_no
