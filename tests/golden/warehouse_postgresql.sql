-- push-down: weekly rows
SELECT usage.account_id, usage.metric, (CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE)) / 7 AS week_back, sum(usage.value) AS total, count(usage.value) AS n, min(CASE WHEN (usage.value > 0) THEN CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE) END) AS active 
FROM usage 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND usage.date <= CAST('2026-10-31' AS DATE) AND usage.date > CAST('2025-11-01' AS DATE) GROUP BY usage.account_id, usage.metric, (CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE)) / 7;

-- push-down: the as-of day and a week before (partial-day test)
SELECT usage.account_id, usage.metric, CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE) AS day_back, sum(usage.value) AS total, count(usage.value) AS n 
FROM usage 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND usage.date <= CAST('2026-10-31' AS DATE) AND usage.date IN (CAST('2026-10-31' AS DATE), CAST('2026-10-24' AS DATE)) GROUP BY usage.account_id, usage.metric, CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE);

-- push-down: last active day of accounts quiet all window
SELECT usage.account_id, min(CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE)) AS days_before 
FROM usage 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND usage.date <= CAST('2026-10-31' AS DATE) AND usage.value > 0 AND usage.metric IN ('logins') AND usage.account_id IN ('A-1', 'A-2') GROUP BY usage.account_id;

-- push-down: accounts with rows before the window
SELECT DISTINCT usage.account_id 
FROM usage 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND usage.date <= CAST('2026-10-31' AS DATE) AND usage.date <= CAST('2025-11-01' AS DATE) AND usage.metric IN ('logins', 'seats_used') AND usage.account_id IN ('A-1', 'A-2');

-- weekly table: usage_weekly
SELECT usage_account_keys.account_key, usage_metric_keys.metric_key, CASE WHEN (CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE) >= 364) THEN 52 ELSE (CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE)) / 7 END AS week_back, sum(usage.value) AS total, count(usage.value) AS n, min(CASE WHEN (usage.value > 0) THEN CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE) END) AS active 
FROM usage JOIN usage_account_keys ON usage.account_id = usage_account_keys.account_id JOIN usage_metric_keys ON usage.metric = usage_metric_keys.metric 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND usage.date <= CAST('2026-10-31' AS DATE) GROUP BY usage_account_keys.account_key, usage_metric_keys.metric_key, CASE WHEN (CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE) >= 364) THEN 52 ELSE (CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE)) / 7 END;

-- weekly table: usage_weekly_days
SELECT usage_account_keys.account_key, usage_metric_keys.metric_key, CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE) AS day_back, sum(usage.value) AS total, count(usage.value) AS n 
FROM usage JOIN usage_account_keys ON usage.account_id = usage_account_keys.account_id JOIN usage_metric_keys ON usage.metric = usage_metric_keys.metric 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND usage.date <= CAST('2026-10-31' AS DATE) AND usage.date IN (CAST('2026-10-31' AS DATE), CAST('2026-10-24' AS DATE)) GROUP BY usage_account_keys.account_key, usage_metric_keys.metric_key, CAST('2026-10-31' AS DATE) - CAST(usage.date AS DATE);

