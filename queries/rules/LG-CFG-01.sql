-- id: LG-CFG-01
-- title: AWS Config is recording functions (and, in one region, roles)
-- severity: high
-- scope: account-region
-- guide: Detective Controls with AWS Config
-- frameworks: AWS Config (recorder status, recording group)
-- reads: coverage, config_recorders
-- risk: {count}{where} {have} no AWS Config recorder covering functions and roles, so changes go unrecorded
-- owner: Cloud security (AWS Config)
-- remediation: {fix}

-- Judged in every account-region whose Config collector read the recorders (crawled_units).
-- What a recorder records (botocore config model, RecordingGroup and RecordingStrategy):
--   ALL_SUPPORTED_RESOURCE_TYPES (allSupported): every regional type, AWS::Lambda::Function
--     included; the global IAM types only with includeGlobalResourceTypes;
--   INCLUSION_BY_RESOURCE_TYPES: only the listed resourceTypes;
--   EXCLUSION_BY_RESOURCE_TYPES: every type but exclusionByResourceTypes, the IAM types included
--     (includeGlobalResourceTypes has no effect there).
-- IAM types can be recorded only in regions where Config existed before February 2022: not in
-- ap-south-2, ap-southeast-4, ca-west-1, eu-south-2, eu-central-2, il-central-1, me-central-1
-- (the model's list), nor in the regions opened since (ap-southeast-5, ap-southeast-6,
-- ap-southeast-7, ap-east-2, mx-central-1, eusc-de-east-1). IAM is global: AWS::IAM::Role needs
-- recording in one region of the account. When no region records it, the row of the region
-- where it is best turned on (us-east-1 if crawled, else the account's first) fails and says so,
-- unless a region's recorders could not be read (that one may record them).
with scoped as (
    select
        *,
        case
            when recording_strategy = 'EXCLUSION_BY_RESOURCE_TYPES'
                then not list_contains(excluded_types, 'AWS::Lambda::Function')
            when recording_strategy = 'INCLUSION_BY_RESOURCE_TYPES'
                then list_contains(resource_types, 'AWS::Lambda::Function')
            when coalesce(all_supported, false) then true
            else list_contains(resource_types, 'AWS::Lambda::Function')
        end as covers_lambda,
        region not in ('ap-south-2', 'ap-southeast-4', 'ca-west-1', 'eu-south-2', 'eu-central-2',
                       'il-central-1', 'me-central-1', 'ap-southeast-5', 'ap-southeast-6',
                       'ap-southeast-7', 'ap-east-2', 'mx-central-1', 'eusc-de-east-1')
        and case
            when recording_strategy = 'EXCLUSION_BY_RESOURCE_TYPES'
                then not list_contains(excluded_types, 'AWS::IAM::Role')
            when recording_strategy = 'INCLUSION_BY_RESOURCE_TYPES'
                then list_contains(resource_types, 'AWS::IAM::Role')
            when coalesce(all_supported, false) then coalesce(include_global, false)
            else list_contains(resource_types, 'AWS::IAM::Role')
        end as covers_roles
    from config_recorders
),
recorders as (
    select
        account_id,
        region,
        list(recorder_name order by recorder_name) filter (where recording and covers_lambda) as recording,
        list(recorder_name || ' (' || case
                when recording_strategy = 'EXCLUSION_BY_RESOURCE_TYPES' then 'excludes AWS::Lambda::Function'
                else 'records only ' || coalesce(preview(list_sort(resource_types), 3), 'no type')
            end || ')' order by recorder_name) filter (where recording and not covers_lambda) as without_lambda,
        first(recorder_name order by recorder_name) as recorder_name,
        first(last_status order by recorder_name) as last_status,
        coalesce(bool_or(recording and covers_roles), false) as records_roles
    from scoped
    group by account_id, region
),
units as (
    select u.account_id, u.region, r.* exclude (account_id, region)
    from crawled_units as u
    left join recorders as r on r.account_id = u.account_id and r.region = u.region
    where u.table_name = 'config_recorders'
),
per_account as (
    select
        account_id,
        coalesce(list(region order by region) filter (where records_roles), []) as role_regions,
        coalesce(min(region) filter (where region = 'us-east-1'), min(region)) as iam_region,
        -- a region whose recorders were not read may be the one recording roles: unknown, not missing
        exists (
            select 1 from coverage as c
            where c.account_id = units.account_id and c.status = 'error' and c.resource_arn is null
              and (len(c.tables) = 0 or list_contains(c.tables, 'config_recorders'))
        ) as partly_unread
    from units
    group by account_id
),
judged as (
    select
        u.*,
        a.role_regions,
        len(a.role_regions) = 0 and not a.partly_unread and u.region = a.iam_region as roles_missing_here,
        case
            when len(a.role_regions) > 0 then
                'AWS::IAM::Role is recorded in ' || preview(a.role_regions, 3)
            when a.partly_unread then
                'whether AWS::IAM::Role is recorded is unknown: the recorders of a region of '
                || u.account_id || ' were not read'
            else
                'AWS::IAM::Role is recorded in no region of ' || u.account_id
                || ' (global resources are recorded in one region: ' || a.iam_region || ' is where to turn them on)'
        end as roles_note
    from units as u
    join per_account as a on a.account_id = u.account_id
)
select
    account_id,
    region,
    'account-region' as resource_type,
    account_id || '/' || region as resource_id,
    null as resource_arn,
    case when coalesce(len(recording), 0) > 0 and not roles_missing_here then 'pass' else 'fail' end as status,
    case
        when len(recording) > 0 then
            'AWS Config recorder ' || preview(recording, 2) || ' records AWS::Lambda::Function in '
            || account_id || '/' || region
        when len(without_lambda) > 0 then
            'AWS Config recorder ' || preview(without_lambda, 2) || ' is recording in ' || account_id || '/'
            || region || ' but not AWS::Lambda::Function: no change to functions is recorded or evaluated'
        when recorder_name is not null then
            'AWS Config recorder ' || recorder_name || ' in ' || account_id || '/' || region
            || ' is not recording (last status ' || coalesce(last_status, 'unknown')
            || '): no change to functions or roles is recorded or evaluated'
        else
            'No AWS Config recorder in ' || account_id || '/' || region
            || ': no change to functions or roles is recorded or evaluated'
    end || '; ' || roles_note as reason,
    case
        when recorder_name is null then
            'aws configservice put-configuration-recorder --configuration-recorder name=default,roleARN=<config-role-arn>'
            || ' --recording-group allSupported=true,includeGlobalResourceTypes='
            || case when roles_missing_here then 'true' else 'false' end || ' --region ' || region
            || ' && aws configservice put-delivery-channel --delivery-channel name=default,s3BucketName=<bucket>'
            || ' --region ' || region || ' && aws configservice start-configuration-recorder'
            || ' --configuration-recorder-name default --region ' || region
        when len(without_lambda) > 0 or roles_missing_here then
            'aws configservice put-configuration-recorder --configuration-recorder name=' || recorder_name
            || ',roleARN=<config-role-arn> --recording-group allSupported=true,includeGlobalResourceTypes='
            || case when roles_missing_here then 'true' else 'false' end || ' --region ' || region
            || case when len(recording) > 0 or len(without_lambda) > 0 then ''
                else ' && aws configservice start-configuration-recorder --configuration-recorder-name '
                    || recorder_name || ' --region ' || region end
        else
            'aws configservice start-configuration-recorder --configuration-recorder-name ' || recorder_name
            || ' --region ' || region
    end as fix
from judged
