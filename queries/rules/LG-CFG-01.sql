-- id: LG-CFG-01
-- title: AWS Config is recording
-- severity: high
-- scope: account-region
-- guide: Detective Controls with AWS Config
-- frameworks: AWS Config (recorder status)
-- reads: coverage, config_recorders
-- risk: {count}{where} {have} no AWS Config recorder running, so changes go unrecorded
-- owner: Cloud security (AWS Config)
-- remediation: {setup}aws configservice start-configuration-recorder --configuration-recorder-name {recorder_name} --region {region}

-- Judged in every account-region whose Config collector read the recorders (crawled_units).
with recorders as (
    select
        account_id,
        region,
        list(recorder_name order by recorder_name) filter (where recording) as recording,
        first(recorder_name order by recorder_name) as recorder_name,
        first(last_status order by recorder_name) as last_status
    from config_recorders
    group by account_id, region
)
select
    u.account_id,
    u.region,
    'account-region' as resource_type,
    u.account_id || '/' || u.region as resource_id,
    null as resource_arn,
    case when len(r.recording) > 0 then 'pass' else 'fail' end as status,
    case
        when len(r.recording) > 0 then
            'AWS Config recorder ' || preview(r.recording, 2) || ' is recording in ' || u.account_id || '/' || u.region
        when r.recorder_name is not null then
            'AWS Config recorder ' || r.recorder_name || ' in ' || u.account_id || '/' || u.region
            || ' is not recording (last status ' || coalesce(r.last_status, 'unknown')
            || '): no change to functions or roles is recorded or evaluated'
        else
            'No AWS Config recorder in ' || u.account_id || '/' || u.region
            || ': no change to functions or roles is recorded or evaluated'
    end as reason,
    coalesce(r.recorder_name, 'default') as recorder_name,
    case
        when r.recorder_name is null then
            'aws configservice put-configuration-recorder --configuration-recorder name=default,roleARN=<config-role-arn>'
            || ' --recording-group allSupported=true --region ' || u.region
            || ' && aws configservice put-delivery-channel --delivery-channel name=default,s3BucketName=<bucket>'
            || ' --region ' || u.region || ' && '
        else ''
    end as setup
from crawled_units as u
left join recorders as r on r.account_id = u.account_id and r.region = u.region
where u.table_name = 'config_recorders'
