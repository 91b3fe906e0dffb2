-- id: LG-COST-02
-- title: High-risk functions are capped at the concurrency limit
-- severity: medium
-- scope: function
-- guide: Automated Cost Governance and Control
-- frameworks: AWS Config LAMBDA_CONCURRENCY_CHECK (ConcurrencyLimitHigh)
-- reads: functions
-- risk: {count}{where} {are} marked high cost-risk but may scale past the concurrency cap
-- owner: Function owners, with FinOps
-- remediation: aws lambda put-function-concurrency --function-name {name} --region {region} --reserved-concurrent-executions {concurrency_cap}

-- Applies to high-risk functions that have a reservation (LG-COST-01 judges those without one);
-- the cap is the guide's CONCURRENCY_LIMIT, $concurrency_cap.
select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when reserved_concurrency > $concurrency_cap then 'fail' else 'pass' end as status,
    case
        when reserved_concurrency > $concurrency_cap then
            name || ' is tagged ' || $high_risk_tag_key || '=' || $high_risk_tag_value || ' and reserves '
            || reserved_concurrency || ' concurrent executions, above the cap of ' || $concurrency_cap
        else
            name || ' reserves ' || reserved_concurrency || ' concurrent executions, within the cap of '
            || $concurrency_cap
    end as reason,
    name,
    $concurrency_cap as concurrency_cap
from functions
where tags[$high_risk_tag_key] = $high_risk_tag_value and reserved_concurrency is not null
