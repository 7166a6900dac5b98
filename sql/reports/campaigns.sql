-- Campaigns for pickers and error messages.
SELECT DISTINCT id, name FROM campaign ORDER BY id;
