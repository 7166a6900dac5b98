-- Report A2: weekly redeemed rewards, with the change against the previous week.
-- $1 IANA zone of the weeks (ISO weeks, Monday 00:00 to Sunday 24:00 local); $2 reward name
-- filter or NULL.
-- One series per reward_campaign row, labelled by reward_name, covering every calendar week
-- from its first to its last redeemed week, zero weeks included.
-- pct_diff_prev_week = round((cur - prev) / prev * 100, 2), half away from zero, computed
-- exactly in integers (hundredths) before the one division; NULL for the first week and
-- when prev = 0.
WITH redeemed AS (
    SELECT rt.reward_campaign_id AS reward_id,
           CAST(date_trunc('week', perx_local(rt.updated_at, $1)) AS DATE) AS week_start
    FROM reward_transaction rt
    WHERE rt.status = 'redeemed'
),
rewards AS (
    -- one label per id even if the id is duplicated (load_warning lists that)
    SELECT id AS reward_id, min(reward_name) AS reward_name
    FROM reward_campaign
    WHERE $2 IS NULL OR reward_name = $2
    GROUP BY id
),
counts AS (
    SELECT r.reward_id, r.reward_name, d.week_start, count(*) AS n
    FROM redeemed d JOIN rewards r USING (reward_id)
    GROUP BY ALL
),
spans AS (
    SELECT reward_id, reward_name, min(week_start) AS first_week, max(week_start) AS last_week
    FROM counts
    GROUP BY ALL
),
weeks AS (
    SELECT reward_id, reward_name,
           CAST(unnest(generate_series(first_week, last_week, INTERVAL 7 DAY)) AS DATE) AS week_start
    FROM spans
),
filled AS (
    SELECT w.reward_id, w.reward_name, w.week_start, coalesce(c.n, 0) AS n,
           lag(coalesce(c.n, 0)) OVER (PARTITION BY w.reward_id ORDER BY w.week_start) AS prev
    FROM weeks w LEFT JOIN counts c USING (reward_id, week_start)
)
SELECT
    reward_name,
    n AS reward_redeemed_count,
    CASE WHEN prev IS NULL OR prev = 0 THEN NULL
         ELSE sign(n - prev) * ((abs(n - prev) * 20000 + prev) // (2 * prev)) / 100.0
    END AS pct_diff_prev_week,
    week_start,
    strftime(week_start, '%G-W%V') AS iso_week,
    reward_id AS reward_campaign_id
FROM filled
ORDER BY reward_name, reward_id, week_start;
