-- push-down: weekly rows
SELECT usage.account_id, usage.metric, CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) / 7 AS week_back, sum(usage.value) AS total, count(usage.value) AS n, min(CASE WHEN (usage.value > 0) THEN CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) END) AS active 
FROM usage 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) >= 0 AND CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) < 364 GROUP BY usage.account_id, usage.metric, CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) / 7;

-- push-down: the as-of day and a week before (partial-day test)
SELECT usage.account_id, usage.metric, CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) AS day_back, sum(usage.value) AS total, count(usage.value) AS n 
FROM usage 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) >= 0 AND CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) IN (0, 7) GROUP BY usage.account_id, usage.metric, CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER);

-- push-down: last active day of accounts quiet all window
SELECT usage.account_id, min(CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER)) AS days_before 
FROM usage 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) >= 0 AND usage.value > 0 AND usage.metric IN ('logins') AND usage.account_id IN ('A-1', 'A-2') GROUP BY usage.account_id;

-- push-down: accounts with rows before the window
SELECT DISTINCT usage.account_id 
FROM usage 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) >= 0 AND CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) >= 364 AND usage.metric IN ('logins', 'seats_used') AND usage.account_id IN ('A-1', 'A-2');

-- weekly table: usage_weekly
SELECT usage_account_keys.account_key, usage_metric_keys.metric_key, CASE WHEN (CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) >= 364) THEN 52 ELSE CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) / 7 END AS week_back, sum(usage.value) AS total, count(usage.value) AS n, min(CASE WHEN (usage.value > 0) THEN CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) END) AS active 
FROM usage JOIN usage_account_keys ON usage.account_id = usage_account_keys.account_id JOIN usage_metric_keys ON usage.metric = usage_metric_keys.metric 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) >= 0 GROUP BY usage_account_keys.account_key, usage_metric_keys.metric_key, CASE WHEN (CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) >= 364) THEN 52 ELSE CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) / 7 END;

-- weekly table: usage_weekly_days
SELECT usage_account_keys.account_key, usage_metric_keys.metric_key, CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) AS day_back, sum(usage.value) AS total, count(usage.value) AS n 
FROM usage JOIN usage_account_keys ON usage.account_id = usage_account_keys.account_id JOIN usage_metric_keys ON usage.metric = usage_metric_keys.metric 
WHERE usage.value IS NOT NULL AND usage.value >= 0 AND CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) >= 0 AND CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER) IN (0, 7) GROUP BY usage_account_keys.account_key, usage_metric_keys.metric_key, CAST(julianday('2026-10-31') - julianday(usage.date) AS INTEGER);

