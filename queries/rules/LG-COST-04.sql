-- id: LG-COST-04
-- title: Function log groups expire
-- severity: low
-- scope: function
-- guide: Automated Cost Governance and Control
-- frameworks: none
-- reads: functions, log_groups
-- risk: {count}{where} keep{s} logs forever, so log storage costs only grow
-- owner: Function owners, with FinOps
-- remediation: aws logs put-retention-policy --log-group-name {log_group} --retention-in-days 90 --region {region}

-- Applies to functions whose /aws/lambda/<name> log group exists (a function that never logged has
-- nothing stored).
select
    f.account_id,
    f.region,
    'function' as resource_type,
    f.name as resource_id,
    f.function_arn as resource_arn,
    case when lg.retention_days is null then 'fail' else 'pass' end as status,
    case
        when lg.retention_days is null then
            'Log group ' || lg.log_group || ' of ' || f.name || ' never expires ('
            || round(coalesce(lg.stored_bytes, 0) / 1048576.0, 1) || ' MiB stored and growing)'
        else 'Log group ' || lg.log_group || ' of ' || f.name || ' expires after ' || lg.retention_days || ' days'
    end as reason,
    lg.log_group
from functions as f
join log_groups as lg
    on lg.account_id = f.account_id and lg.region = f.region and lg.function_name = f.name
