-- Integrity checks run after every load, over the whole database. Each row is one loaded
-- row that breaks a rule: (source file, its line, what is wrong). Rows stay loaded; the
-- load summary lists these and the exit status says so.
DELETE FROM load_warning;
INSERT INTO load_warning
SELECT 'reward_campaign.csv' AS source, rc.line_no,
       'campaign_id ' || rc.campaign_id || ' is not in campaign.csv' AS problem
FROM reward_campaign rc
WHERE NOT EXISTS (SELECT 1 FROM campaign c WHERE c.id = rc.campaign_id)
UNION ALL
SELECT 'reward_transaction.csv', rt.line_no,
       'reward_campaign_id ' || rt.reward_campaign_id || ' is not in reward_campaign.csv'
FROM reward_transaction rt
WHERE NOT EXISTS (SELECT 1 FROM reward_campaign rc WHERE rc.id = rt.reward_campaign_id)
UNION ALL
SELECT source, line_no, 'id ' || id || ' also appears on line ' || first_line
FROM (
    SELECT 'campaign.csv' AS source, line_no, id,
           min(line_no) OVER (PARTITION BY id) AS first_line FROM campaign
    UNION ALL
    SELECT 'reward_campaign.csv', line_no, id,
           min(line_no) OVER (PARTITION BY id) FROM reward_campaign
    UNION ALL
    SELECT 'reward_transaction.csv', line_no, id,
           min(line_no) OVER (PARTITION BY id) FROM reward_transaction
) dup
WHERE line_no <> first_line;
