-- id: LG-CFG-03
-- title: A Config rule detects admin and power-user policies where IAM is recorded
-- severity: medium
-- scope: account
-- spans: account
-- guide: Detective Controls with AWS Config
-- frameworks: AWS Config IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS; IAM_ROLE_MANAGED_POLICY_CHECK (misdeployed as in the guide)
-- reads: coverage, config_recorders, config_rules, admin_policies
-- risk: {count}{where} {have} no AWS Config rule that detects administrator execution roles
-- owner: Cloud security (AWS Config)
-- remediation: {prefix}aws configservice put-config-rule --region {rule_region} --config-rule '{{"ConfigRuleName":"iam-policy-no-statements-with-admin-access","Source":{{"Owner":"AWS","SourceIdentifier":"IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS"}},"Scope":{{"ComplianceResourceTypes":["AWS::IAM::Policy"]}}}}'

-- One row per account whose Config recorders were read. IAM is global: Config evaluates IAM
-- resources only in the region(s) whose recorder records them (all supported types including
-- global ones, or AWS::IAM::Role listed), so only rules deployed there count.
-- - IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS there: deployed (pass).
-- - IAM_ROLE_MANAGED_POLICY_CHECK listing AdministratorAccess/PowerUserAccess (the guide's rule 2):
--   misdeployed. It is NON_COMPLIANT for roles that LACK the listed policies, so it flags nearly
--   every role and stays quiet on admin ones; it does not count, and the reason says so.
-- - No recorder records IAM in the account: fail. No rule there can evaluate a role, whatever is
--   deployed elsewhere, so the detective control does not exist (the reason says which regions
--   were read).
-- spans: account, because one unread region could hold the recorder or rule that decides.
with read_regions as (
    select account_id, list(distinct region order by region) as regions
    from crawled_units
    where table_name = 'config_recorders'
    group by account_id
),
iam_regions as (
    select distinct account_id, region
    from config_recorders
    where recording and ((all_supported and include_global) or list_contains(resource_types, 'AWS::IAM::Role'))
),
iam_rules as (
    select
        r.account_id,
        r.region,
        r.rule_name,
        r.source_identifier = 'IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS' as detects,
        r.source_identifier = 'IAM_ROLE_MANAGED_POLICY_CHECK' and exists (
            select 1 from admin_policies as a
            where contains(coalesce(r.input_parameters, ''), ':iam::aws:' || a.arn_suffix)
        ) as inverted
    from deployed_config_rules as r
    join iam_regions as g on g.account_id = r.account_id and g.region = r.region
),
per_account as (
    select
        account_id,
        list(rule_name || ' (' || region || ')' order by rule_name, region) filter (where detects) as detecting,
        list(rule_name || ' (' || region || ')' order by rule_name, region) filter (where inverted) as misdeployed,
        first(rule_name order by region, rule_name) filter (where inverted) as misdeployed_rule,
        first(region order by region, rule_name) filter (where inverted) as misdeployed_region
    from iam_rules
    group by account_id
),
iam_region_lists as (
    select account_id, list(region order by region) as regions
    from iam_regions
    group by account_id
)
select
    rr.account_id,
    'global' as region,
    'account' as resource_type,
    rr.account_id as resource_id,
    null as resource_arn,
    case when len(pa.detecting) > 0 then 'pass' else 'fail' end as status,
    case
        when ir.regions is null then
            'No AWS Config recorder in account ' || rr.account_id || ' records global IAM resources (regions read: '
            || array_to_string(rr.regions, ', ') || '), so no Config rule can detect admin or power-user'
            || ' execution roles'
        when len(pa.detecting) > 0 then
            'IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS is deployed where IAM is recorded: '
            || preview(pa.detecting, 3)
        else
            'No Config rule detecting admin or power-user policies (IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS) is'
            || ' deployed in ' || array_to_string(ir.regions, ', ') || ', where account ' || rr.account_id
            || ' records IAM'
    end
    || case
        when len(pa.misdeployed) > 0 then
            '; IAM_ROLE_MANAGED_POLICY_CHECK ' || preview(pa.misdeployed, 3) || ' is misdeployed: it lists '
            || 'AdministratorAccess/PowerUserAccess, so it reports roles that LACK those policies and never '
            || 'flags an admin role (the guide''s rule 2 inverts its intent)'
        else ''
    end as reason,
    coalesce(ir.regions[1], '<region recording global resources>') as rule_region,
    case
        when ir.regions is null then
            'Record IAM in one region first (aws configservice put-configuration-recorder --configuration-recorder'
            || ' name=default,roleARN=<config-role-arn> --recording-group allSupported=true,includeGlobalResourceTypes=true'
            || ' --region <region>), then '
        else ''
    end
    || case
        when pa.misdeployed_rule is not null then
            'aws configservice delete-config-rule --config-rule-name ' || pa.misdeployed_rule || ' --region '
            || pa.misdeployed_region || ' && '
        else ''
    end as prefix
from read_regions as rr
left join iam_region_lists as ir on ir.account_id = rr.account_id
left join per_account as pa on pa.account_id = rr.account_id
