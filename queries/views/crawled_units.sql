-- view: crawled_units
-- reads: coverage

-- The (account, region, table) triples a collector unit filled successfully. Account-region rules
-- judge only these: an account-region that was never crawled (skipped, or its unit failed) is not
-- judged as "nothing configured"; a failed unit becomes an error row instead (reporter/rules/error_rows.py).
select distinct account_id, region, unnest(tables) as table_name
from coverage
where status = 'ok' and resource_arn is null
