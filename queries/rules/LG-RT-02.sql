-- id: LG-RT-02
-- title: Functions are not on a runtime about to be deprecated
-- severity: low
-- scope: function
-- guide: Expert-Level Serverless Governance Best Practices
-- frameworks: none
-- reads: functions, runtimes
-- risk: {count}{where} run{s} on a runtime that reaches end of support soon
-- owner: Function owners
-- remediation: Plan the move of {name} to {successor} before {deprecated}: aws lambda update-function-configuration --function-name {name} --region {region} --runtime {successor}

-- Zip functions whose runtime is not yet deprecated on $run_date (LG-RT-01 judges the deprecated
-- ones); fails when the deprecation falls within the next $runtime_warning_days days.
select
    f.account_id,
    f.region,
    'function' as resource_type,
    f.name as resource_id,
    f.function_arn as resource_arn,
    case
        when rt.deprecated <= $run_date + $runtime_warning_days then 'fail'
        else 'pass'
    end as status,
    case
        when rt.runtime is null then
            f.name || ' runs ' || f.runtime || ', which has no deprecation date in the runtime list'
        when rt.deprecated <= $run_date + $runtime_warning_days then
            f.name || ' runs ' || f.runtime || ', deprecated on ' || rt.deprecated || ', in '
            || (rt.deprecated - $run_date) || ' days (warning window: ' || $runtime_warning_days || ' days)'
        else
            f.name || ' runs ' || f.runtime || ', supported until ' || rt.deprecated || ', more than '
            || $runtime_warning_days || ' days away'
    end as reason,
    f.name,
    coalesce(s.successor, '<a supported runtime>') as successor,
    rt.deprecated
from functions as f
left join runtimes as rt on rt.runtime = f.runtime
left join runtime_successors as s on s.family = rt.family
where
    coalesce(f.package_type, 'Zip') = 'Zip'
    and f.runtime is not null
    and (rt.deprecated is null or rt.deprecated > $run_date)
