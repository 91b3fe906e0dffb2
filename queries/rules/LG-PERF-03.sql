-- id: LG-PERF-03
-- title: Functions have an alarm on errors or throttles
-- severity: low
-- scope: function
-- guide: High "Cold Start" Latency
-- frameworks: none
-- reads: functions, alarms
-- risk: {count}{where} {have} no alarm on errors or throttling, so failures go unnoticed
-- owner: Function owners
-- remediation: aws cloudwatch put-metric-alarm --alarm-name {name}-errors --namespace AWS/Lambda --metric-name Errors --dimensions Name=FunctionName,Value={name} --statistic Sum --period 300 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --alarm-actions <sns-topic-arn> --region {region}

with watched as (
    select
        account_id,
        region,
        function_name,
        list(alarm_name || ' (' || metric_name || ')' order by alarm_name, metric_name) as alarms
    from alarms
    where metric_name in ('Errors', 'Throttles') and coalesce(namespace, 'AWS/Lambda') = 'AWS/Lambda'
    group by account_id, region, function_name
)
select
    f.account_id,
    f.region,
    'function' as resource_type,
    f.name as resource_id,
    f.function_arn as resource_arn,
    case when w.alarms is null then 'fail' else 'pass' end as status,
    case
        when w.alarms is null then
            'No CloudWatch alarm watches the Errors or Throttles metric of ' || f.name
            || ': failures and throttling go unnoticed'
        else 'CloudWatch alarm(s) on ' || f.name || ': ' || preview(w.alarms, 3)
    end as reason,
    f.name
from functions as f
left join watched as w
    on w.account_id = f.account_id and w.region = f.region and w.function_name = f.name
