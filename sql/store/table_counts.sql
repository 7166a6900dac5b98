-- Rows per loaded table, and what the manifest says of each source.
SELECT 'campaign' AS tbl, count(*) AS rows FROM campaign
UNION ALL SELECT 'reward_campaign', count(*) FROM reward_campaign
UNION ALL SELECT 'reward_transaction', count(*) FROM reward_transaction
UNION ALL SELECT 'campaign_reward_mapping', count(*) FROM campaign_reward_mapping
UNION ALL SELECT 'http_log', count(*) FROM http_log_data  -- the view's rows: one per line of http_log_data
UNION ALL SELECT 'ml_rating', count(*) FROM ml_rating
UNION ALL SELECT 'ml_movie', count(*) FROM ml_movie
UNION ALL SELECT 'ml_user', count(*) FROM ml_user
UNION ALL SELECT 'load_reject', count(*) FROM load_reject
UNION ALL SELECT 'load_warning', count(*) FROM load_warning;
