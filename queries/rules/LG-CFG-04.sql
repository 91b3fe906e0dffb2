-- id: LG-CFG-04
-- title: AWS Config finds no non-compliant function or role
-- severity: medium
-- scope: config-resource
-- guide: Detective Controls with AWS Config
-- frameworks: AWS Config (evaluations of any deployed rule, imported as evidence)
-- reads: coverage, config_compliance, config_rules, config_recorders, functions, roles
-- context: functions, roles
-- risk: {count}{where} {are} reported non-compliant by AWS Config
-- owner: Cloud security (AWS Config)
-- remediation: aws configservice get-compliance-details-by-config-rule --config-rule-name {rule_name} --compliance-types NON_COMPLIANT --region {region}, then fix {config_resource_id} as the rule's annotation says

-- Only NON_COMPLIANT evaluations are read (config_compliance.py). Each (rule, resource) of them
-- fails, id "<rule>/<resource type>/<resource id>". The pass side comes from the inventory: a
-- function, or an execution role, passes (id "<resource type>/<resource id>") in an account-region
-- whose compliance unit ran, where a recording recorder records its type and a deployed rule can
-- evaluate it, when no rule there reports it NON_COMPLIANT.
-- Keys: Config names a function by its name and a role by its RoleId (AROA…, roles.role_id), not
-- by ARN. IAM is global and Config records global types in the one region whose recorder includes
-- them (see LG-CFG-01), so a role is judged in the regions where roles are recorded.
-- "Can evaluate": a rule whose scope lists the type; an unscoped custom rule (any type); an
-- unscoped AWS-managed rule when its identifier names the type (LAMBDA_*, IAM_ROLE_*). A tag-scoped
-- rule evaluates only functions carrying the tag; roles' tags are not read, so it judges no role.
-- A compliance unit that failed keeps its resources' rows, which error_rows.py turns into errors.
-- functions and roles are context: one not read gets no pass row (never a pass on unread data),
-- and a NON_COMPLIANT verdict from Config stands without them.
with attempted as (
    select distinct account_id, region
    from coverage
    where resource_arn is null and status in ('ok', 'error') and list_contains(tables, 'config_compliance')
),
rules as (
    select
        account_id,
        region,
        rule_name,
        scope_tag_key,
        scope_tag_value,
        list_contains(scope_resource_types, 'AWS::Lambda::Function')
        or (len(scope_resource_types) = 0
            and (coalesce(source_owner, '') <> 'AWS' or source_identifier like 'LAMBDA\_%' escape '\'))
            as for_functions,
        scope_tag_key is null
        and (list_contains(scope_resource_types, 'AWS::IAM::Role')
             or (len(scope_resource_types) = 0
                 and (coalesce(source_owner, '') <> 'AWS' or source_identifier like 'IAM\_ROLE\_%' escape '\')))
            as for_roles
    from config_rules
    where coalesce(state, 'ACTIVE') not in ('DELETING', 'DELETING_RESULTS')
),
recorded as (
    select
        account_id,
        region,
        bool_or(case
            when recording_strategy = 'EXCLUSION_BY_RESOURCE_TYPES'
                then not list_contains(excluded_types, 'AWS::Lambda::Function')
            when recording_strategy = 'INCLUSION_BY_RESOURCE_TYPES'
                then list_contains(resource_types, 'AWS::Lambda::Function')
            else coalesce(all_supported, false) or list_contains(resource_types, 'AWS::Lambda::Function')
        end) as functions_recorded,
        bool_or(region not in ('ap-south-2', 'ap-southeast-4', 'ca-west-1', 'eu-south-2', 'eu-central-2',
                               'il-central-1', 'me-central-1', 'ap-southeast-5', 'ap-southeast-6',
                               'ap-southeast-7', 'ap-east-2', 'mx-central-1', 'eusc-de-east-1')
            and case
                when recording_strategy = 'EXCLUSION_BY_RESOURCE_TYPES'
                    then not list_contains(excluded_types, 'AWS::IAM::Role')
                when recording_strategy = 'INCLUSION_BY_RESOURCE_TYPES'
                    then list_contains(resource_types, 'AWS::IAM::Role')
                when coalesce(all_supported, false) then coalesce(include_global, false)
                else list_contains(resource_types, 'AWS::IAM::Role')
            end) as roles_recorded
    from config_recorders
    where recording
    group by account_id, region
),
failing as (
    select cc.*
    from config_compliance as cc
    where cc.compliance = 'NON_COMPLIANT' and cc.resource_type in ('AWS::Lambda::Function', 'AWS::IAM::Role')
),
function_passes as (
    select
        f.account_id,
        f.region,
        'AWS::Lambda::Function' as config_type,
        f.name as config_id,
        f.function_arn as arn,
        'Lambda function ' || f.name as noun,
        list(r.rule_name order by r.rule_name) as judges
    from functions as f
    join attempted as a on a.account_id = f.account_id and a.region = f.region
    join recorded as rec on rec.account_id = f.account_id and rec.region = f.region and rec.functions_recorded
    join rules as r
        on r.account_id = f.account_id and r.region = f.region and r.for_functions
        and (r.scope_tag_key is null
             or (f.tags[r.scope_tag_key] is not null
                 and (r.scope_tag_value is null or f.tags[r.scope_tag_key] = r.scope_tag_value)))
    group by all
),
execution_roles as (
    select distinct ro.account_id, ro.role_arn, ro.role_name, ro.role_id
    from roles as ro
    join functions as f on f.role_arn = ro.role_arn
    where ro.role_id is not null
),
role_passes as (
    select
        ro.account_id,
        rec.region,
        'AWS::IAM::Role' as config_type,
        ro.role_id as config_id,
        ro.role_arn as arn,
        'IAM role ' || ro.role_name || ' (' || ro.role_id || ')' as noun,
        list(r.rule_name order by r.rule_name) as judges
    from execution_roles as ro
    join recorded as rec on rec.account_id = ro.account_id and rec.roles_recorded
    join attempted as a on a.account_id = rec.account_id and a.region = rec.region
    join rules as r on r.account_id = rec.account_id and r.region = rec.region and r.for_roles
    group by all
),
passes as (
    select * from function_passes
    union all
    select * from role_passes
)
select
    p.account_id,
    p.region,
    'config-resource' as resource_type,
    p.config_type || '/' || p.config_id as resource_id,
    p.arn as resource_arn,
    'pass' as status,
    'No AWS Config rule in ' || p.account_id || '/' || p.region || ' reports ' || p.noun
    || ' NON_COMPLIANT (rules that evaluate it: ' || preview(p.judges, 3) || ')' as reason,
    null as rule_name,
    p.config_id as config_resource_id
from passes as p
where not exists (
    select 1 from failing as x
    where x.account_id = p.account_id and x.region = p.region
      and x.resource_type = p.config_type and x.resource_id = p.config_id
)
union all
select
    x.account_id,
    x.region,
    'config-resource' as resource_type,
    x.rule_name || '/' || x.resource_type || '/' || x.resource_id as resource_id,
    coalesce(f.function_arn, ro.role_arn) as resource_arn,
    'fail' as status,
    'AWS Config rule ' || x.rule_name || ' reports '
    || case when x.resource_type = 'AWS::IAM::Role' then 'IAM role ' else 'Lambda function ' end
    || coalesce(ro.role_name || ' (' || x.resource_id || ')', x.resource_id) || ' NON_COMPLIANT'
    || coalesce(': ' || x.annotation, '') as reason,
    x.rule_name,
    x.resource_id as config_resource_id
from failing as x
left join functions as f
    on x.resource_type = 'AWS::Lambda::Function'
    and f.account_id = x.account_id and f.region = x.region and f.name = x.resource_id
left join roles as ro
    on x.resource_type = 'AWS::IAM::Role' and ro.account_id = x.account_id and ro.role_id = x.resource_id
