-- id: LG-COST-01
-- title: High-risk functions have a reserved-concurrency circuit breaker
-- severity: high
-- scope: function
-- guide: Automated Cost Governance and Control
-- frameworks: AWS Config LAMBDA_CONCURRENCY_CHECK (scoped by tag)
-- reads: functions
-- risk: {count}{where} {are} marked high cost-risk but can scale without any limit
-- owner: Function owners, with FinOps
-- remediation: aws lambda put-function-concurrency --function-name {name} --region {region} --reserved-concurrent-executions {concurrency_cap}

-- Applies to functions tagged $high_risk_tag_key=$high_risk_tag_value (tag values are case-sensitive,
-- as in the guide's tag filter). A reservation of 0 is a cap too (it throttles everything).
select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when reserved_concurrency is null then 'fail' else 'pass' end as status,
    case
        when reserved_concurrency is null then
            name || ' is tagged ' || $high_risk_tag_key || '=' || $high_risk_tag_value
            || ' but has no reserved concurrency: a runaway loop can scale it to the account limit'
        else
            name || ' is tagged ' || $high_risk_tag_key || '=' || $high_risk_tag_value
            || ' and is capped at ' || reserved_concurrency || ' concurrent executions'
    end as reason,
    name,
    $concurrency_cap as concurrency_cap
from functions
where tags[$high_risk_tag_key] = $high_risk_tag_value
