SELECT DISTINCT reward_name FROM reward_campaign ORDER BY reward_name;
