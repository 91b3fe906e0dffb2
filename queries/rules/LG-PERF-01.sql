-- id: LG-PERF-01
-- title: Latency-critical functions are kept warm
-- severity: medium
-- scope: function
-- guide: High "Cold Start" Latency
-- frameworks: none (no managed rule covers provisioned concurrency or SnapStart)
-- reads: functions, provisioned_concurrency
-- risk: {count}{where} {are} latency-critical but not protected against cold starts
-- owner: Function owners
-- remediation: aws lambda put-provisioned-concurrency-config --function-name {name} --region {region} --qualifier <alias> --provisioned-concurrent-executions 1 (or, on a SnapStart runtime: aws lambda update-function-configuration --function-name {name} --region {region} --snap-start ApplyOn=PublishedVersions)

-- Applies to functions tagged $latency_tag_key=$latency_tag_value; the value is compared without
-- case, since "true" and "True" mean the same to the people who tag. A provisioned-concurrency
-- configuration counts unless it requests nothing or failed to allocate.
with warm as (
    select
        function_arn,
        list(qualifier || ' (' || coalesce(allocated, requested) || ')' order by qualifier) as configs
    from provisioned_concurrency
    where coalesce(requested, 0) > 0 and coalesce(status, '') <> 'FAILED'
    group by function_arn
)
select
    f.account_id,
    f.region,
    'function' as resource_type,
    f.name as resource_id,
    f.function_arn as resource_arn,
    case
        when w.configs is null and coalesce(f.snap_start, 'None') <> 'PublishedVersions' then 'fail'
        else 'pass'
    end as status,
    case
        when w.configs is not null then
            f.name || ' has provisioned concurrency on ' || preview(w.configs, 3)
        when f.snap_start = 'PublishedVersions' then f.name || ' uses SnapStart on published versions'
        else
            f.name || ' is tagged ' || $latency_tag_key || '=' || f.tags[$latency_tag_key]
            || ' but has neither provisioned concurrency on a version or alias nor SnapStart:'
            || ' callers wait for every cold start'
    end as reason,
    f.name
from functions as f
left join warm as w on w.function_arn = f.function_arn
where lower(f.tags[$latency_tag_key]) = lower($latency_tag_value)
