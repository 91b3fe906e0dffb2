-- id: LG-IAM-03
-- title: Execution roles write only to specific resources
-- severity: medium
-- scope: function
-- guide: Security Governance: The Execution Role is Everything
-- frameworks: none (the guide: "Note the use of specific ARNs to limit the resource scope")
-- reads: functions, roles, role_facts
-- risk: {count}{where} can change any resource of a service, not just the ones they need
-- owner: Platform IAM team
-- remediation: Scope the actions listed in the reason to the ARNs {name} uses (as the guide's example policy does, e.g. arn:aws:s3:::<bucket>/<prefix>/*) in the policies of role {role_name}, then: aws iam put-role-policy --role-name {role_name} --policy-name <inline policy> --policy-document file://scoped.json

-- write_on_star lists the effective Write, Permissions-management and Tagging actions on "*",
-- already net of the Lambda baseline (CloudWatch Logs writes, the VPC ENI actions of
-- AWSLambdaVPCAccessExecutionRole, X-Ray writes) and of actions that only support "*". A grant
-- that holds only under a Condition still counts; reporter.iam marks it "(conditional)".
select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when len(write_on_star) > 0 then 'fail' else 'pass' end as status,
    case
        when coalesce(len(write_on_star), 0) = 0 then
            'Execution role ' || role_name || ' of ' || name
            || ' has no Write, Permissions-management or Tagging action on Resource "*" beyond the Lambda baseline'
        else
            'Execution role ' || role_name || ' of ' || name || ' can write on Resource "*": '
            || preview(write_on_star, 6)
    end as reason,
    name,
    role_name
from function_role_facts
