-- id: LG-COST-03
-- title: Account-regions keep enough unreserved concurrency
-- severity: medium
-- scope: account-region
-- guide: Automated Cost Governance and Control
-- frameworks: none (Lambda keeps at least 100 unreserved; GetAccountSettings)
-- reads: account_concurrency
-- risk: {count}{where} {are} nearly out of Lambda concurrency, so invocations get throttled
-- owner: Account owners
-- remediation: Release reservations (aws lambda delete-function-concurrency --function-name <function> --region {region}) or raise the quota: aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value {suggested_limit} --region {region}

-- Judged where GetAccountSettings was read (one account_concurrency row per account-region).
-- The floor is the larger of $unreserved_min and $unreserved_min_pct % of the account limit.
with floors as (
    select
        *,
        greatest($unreserved_min, ceil(concurrency_limit * $unreserved_min_pct / 100.0))::bigint as floor_needed
    from account_concurrency
    where concurrency_limit is not null and unreserved_concurrency is not null
)
select
    account_id,
    region,
    'account-region' as resource_type,
    account_id || '/' || region as resource_id,
    null as resource_arn,
    case when unreserved_concurrency < floor_needed then 'fail' else 'pass' end as status,
    account_id || '/' || region || ': ' || unreserved_concurrency || ' of ' || concurrency_limit
    || ' concurrent executions are unreserved (' || coalesce(reserved_total, concurrency_limit - unreserved_concurrency)
    || ' reserved by functions); '
    || case
        when unreserved_concurrency < floor_needed then
            'below the floor of ' || floor_needed || ' (the larger of ' || $unreserved_min || ' and '
            || $unreserved_min_pct || ' % of the limit): unreserved functions will be throttled first'
        else 'at or above the floor of ' || floor_needed
    end as reason,
    concurrency_limit + greatest(floor_needed - unreserved_concurrency, 0) as suggested_limit
from floors
