-- id: LG-CFG-02
-- title: The LAMBDA_INSIDE_VPC Config rule is deployed
-- severity: medium
-- scope: account-region
-- guide: Detective Controls with AWS Config
-- frameworks: AWS Config LAMBDA_INSIDE_VPC (the guide's LAMBDA_FUNCTION_IN_VPC does not exist)
-- reads: coverage, config_rules
-- risk: {count}{where} {have} no AWS Config rule checking that functions run in a VPC
-- owner: Cloud security (AWS Config)
-- remediation: aws configservice put-config-rule --region {region} --config-rule '{{"ConfigRuleName":"lambda-inside-vpc","Source":{{"Owner":"AWS","SourceIdentifier":"LAMBDA_INSIDE_VPC"}},"Scope":{{"ComplianceResourceTypes":["AWS::Lambda::Function"]}}}}'

-- Judged in every account-region whose Config collector read the rules. The guide deploys
-- LAMBDA_FUNCTION_IN_VPC, which AWS rejects: the guide's Terraform cannot have deployed it, so the
-- reason always names the real identifier.
with vpc_rules as (
    select account_id, region, list(rule_name order by rule_name) as names
    from deployed_config_rules
    where source_identifier = 'LAMBDA_INSIDE_VPC'
    group by account_id, region
)
select
    u.account_id,
    u.region,
    'account-region' as resource_type,
    u.account_id || '/' || u.region as resource_id,
    null as resource_arn,
    case when v.names is null then 'fail' else 'pass' end as status,
    case
        when v.names is null then
            'No LAMBDA_INSIDE_VPC Config rule is deployed in ' || u.account_id || '/' || u.region
            || ' (the guide''s identifier LAMBDA_FUNCTION_IN_VPC does not exist; AWS rejects it)'
        else
            'LAMBDA_INSIDE_VPC is deployed in ' || u.account_id || '/' || u.region || ' as ' || preview(v.names, 3)
            || ' (the real identifier for the guide''s non-existent LAMBDA_FUNCTION_IN_VPC)'
    end as reason
from crawled_units as u
left join vpc_rules as v on v.account_id = u.account_id and v.region = u.region
where u.table_name = 'config_rules'
