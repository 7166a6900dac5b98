-- BigQuery twin of sql/reports/weekly.sql (report A2). Keep the two in step.
-- Named parameters (written without their @ here, as emulators count them in comments too): tz STRING (IANA), reward STRING or NULL.
-- Monday of the ISO week via DATE_SUB(..., MOD(DAYOFWEEK + 5, 7)) rather than
-- DATE_TRUNC(d, WEEK(MONDAY)), which some emulators get wrong.
-- Each parameter is named once, in p (emulators that map names to positions need it).
WITH p AS (
    SELECT @reward AS reward
),
-- The zone stays a parameter in DATE (a column there is read as a time of day by some
-- emulators), named once.
local_days AS (
    SELECT rt.reward_campaign_id AS reward_id, DATE(rt.updated_at, @tz) AS d
    FROM {dataset}.reward_transaction rt
    WHERE rt.status = 'redeemed'
),
redeemed AS (
    SELECT reward_id,
           DATE_SUB(d, INTERVAL MOD(EXTRACT(DAYOFWEEK FROM d) + 5, 7) DAY) AS week_start
    FROM local_days
),
rewards AS (
    SELECT rc.id AS reward_id, MIN(rc.reward_name) AS reward_name
    FROM {dataset}.reward_campaign rc CROSS JOIN p
    WHERE p.reward IS NULL OR rc.reward_name = p.reward
    GROUP BY rc.id
),
counts AS (
    SELECT r.reward_id, r.reward_name, d.week_start, COUNT(*) AS n
    FROM redeemed d JOIN rewards r USING (reward_id)
    GROUP BY r.reward_id, r.reward_name, d.week_start
),
spans AS (
    SELECT reward_id, reward_name, MIN(week_start) AS first_week, MAX(week_start) AS last_week
    FROM counts
    GROUP BY reward_id, reward_name
),
weeks AS (
    SELECT reward_id, reward_name, week_start
    FROM spans, UNNEST(GENERATE_DATE_ARRAY(first_week, last_week, INTERVAL 7 DAY)) AS week_start
),
filled AS (
    SELECT w.reward_id, w.reward_name, w.week_start, COALESCE(c.n, 0) AS n,
           LAG(COALESCE(c.n, 0)) OVER (PARTITION BY w.reward_id ORDER BY w.week_start) AS prev
    FROM weeks w LEFT JOIN counts c
      ON c.reward_id = w.reward_id AND c.week_start = w.week_start
)
SELECT
    reward_name,
    n AS reward_redeemed_count,
    IF(prev IS NULL OR prev = 0, NULL,
       -- DIV's arguments in parentheses: an emulator drops the precedence otherwise.
       SIGN(n - prev) * DIV((ABS(n - prev) * 20000 + prev), (2 * prev)) / 100.0) AS pct_diff_prev_week,
    week_start,
    FORMAT_DATE('%G-W%V', week_start) AS iso_week,
    reward_id AS reward_campaign_id
FROM filled
ORDER BY reward_name, reward_id, week_start;
