-- Whether a campaign id is in the campaign table (1 or 0).
SELECT CAST(count(*) > 0 AS INTEGER) FROM campaign WHERE id = $1;
