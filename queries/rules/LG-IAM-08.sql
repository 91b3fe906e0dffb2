-- id: LG-IAM-08
-- title: Only Lambda can assume execution roles
-- severity: high
-- scope: function
-- guide: Security Governance: The Execution Role is Everything
-- frameworks: none (blast radius: any other principal gets the function's permissions)
-- reads: functions, roles, role_facts
-- risk: {count}{where} {have} execution roles that identities other than Lambda can assume
-- owner: Platform IAM team
-- remediation: aws iam update-assume-role-policy --role-name {role_name} --policy-document '{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"lambda.amazonaws.com"}},"Action":"sts:AssumeRole"}}]}}'

select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when len(non_lambda_trust) > 0 then 'fail' else 'pass' end as status,
    case
        when coalesce(len(non_lambda_trust), 0) = 0 then
            'Trust policy of execution role ' || role_name || ' of ' || name
            || ' lets only lambda.amazonaws.com assume it'
        else
            'Trust policy of execution role ' || role_name || ' of ' || name
            || ' also lets these principals assume it: ' || preview(non_lambda_trust, 5)
    end as reason,
    role_name
from function_role_facts
