-- id: LG-RT-01
-- title: Functions run on a supported runtime
-- severity: medium
-- scope: function
-- guide: Expert-Level Serverless Governance Best Practices
-- frameworks: Security Hub Lambda.2; AWS Config LAMBDA_FUNCTION_SETTINGS_CHECK
-- reads: functions, runtimes
-- risk: {count}{where} run{s} on a runtime AWS no longer supports with security patches
-- owner: Function owners
-- remediation: Test {name} on {successor}, then: aws lambda update-function-configuration --function-name {name} --region {region} --runtime {successor}

-- Zip functions only (an image brings its own runtime). Judged against $run_date with the dated
-- runtime list (reporter/data/runtimes.json); a runtime the list does not know (newer than the
-- list) has no known deprecation date and passes, saying so.
select
    f.account_id,
    f.region,
    'function' as resource_type,
    f.name as resource_id,
    f.function_arn as resource_arn,
    case when rt.deprecated <= $run_date then 'fail' else 'pass' end as status,
    case
        when rt.runtime is null then
            f.name || ' runs ' || f.runtime || ', which has no deprecation date in the runtime list'
        when rt.deprecated <= $run_date then
            f.name || ' runs ' || f.runtime || ', deprecated since ' || rt.deprecated
            || ': it no longer receives security patches'
            || case
                when rt.block_update is not null and rt.block_update > $run_date then
                    '; AWS blocks updates from ' || rt.block_update
                when rt.block_update is not null then '; AWS blocks updates since ' || rt.block_update
                else ''
            end
        else f.name || ' runs ' || f.runtime || ', supported until ' || rt.deprecated
    end as reason,
    f.name,
    coalesce(s.successor, '<a supported runtime>') as successor
from functions as f
left join runtimes as rt on rt.runtime = f.runtime
left join runtime_successors as s on s.family = rt.family
where coalesce(f.package_type, 'Zip') = 'Zip' and f.runtime is not null
