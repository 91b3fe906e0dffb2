-- id: LG-CFG-04
-- title: AWS Config finds no non-compliant function or role
-- severity: medium
-- scope: config-resource
-- guide: Detective Controls with AWS Config
-- frameworks: AWS Config (evaluations of any deployed rule, imported as evidence)
-- reads: config_compliance
-- risk: {count}{where} {are} reported non-compliant by AWS Config
-- owner: Cloud security (AWS Config)
-- remediation: aws configservice get-compliance-details-by-config-rule --config-rule-name {rule_name} --compliance-types NON_COMPLIANT --region {region}, then fix {config_resource_id} as the rule's annotation says

-- One row per (Config rule, resource) evaluation of a Lambda function or IAM role: COMPLIANT
-- passes, NON_COMPLIANT fails; NOT_APPLICABLE and INSUFFICIENT_DATA are not judgements. The
-- resource id is "<rule>/<resource type>/<resource id>": Config keys evaluations that way, and IAM
-- roles appear under their role id (AROA…), which has no ARN in the inventory to map to.
select
    cc.account_id,
    cc.region,
    'config-resource' as resource_type,
    cc.rule_name || '/' || cc.resource_type || '/' || cc.resource_id as resource_id,
    null as resource_arn,
    case when cc.compliance = 'NON_COMPLIANT' then 'fail' else 'pass' end as status,
    'AWS Config rule ' || cc.rule_name || ' reports '
    || case when cc.resource_type = 'AWS::IAM::Role' then 'IAM role ' else 'Lambda function ' end
    || cc.resource_id || ' ' || cc.compliance || coalesce(': ' || cc.annotation, '') as reason,
    cc.rule_name,
    cc.resource_id as config_resource_id
from config_compliance as cc
where
    cc.compliance in ('COMPLIANT', 'NON_COMPLIANT')
    and cc.resource_type in ('AWS::Lambda::Function', 'AWS::IAM::Role')
