-- id: LG-IAM-02
-- title: Execution-role policies grant no unconditional wildcard actions
-- severity: high
-- scope: function
-- guide: Security Governance: The Execution Role is Everything
-- frameworks: Security Hub IAM.1, IAM.21 (which skip inline policies; this rule does not)
-- reads: functions, roles, role_facts
-- risk: {count}{where} {have} execution roles granting wildcard permissions
-- owner: Platform IAM team
-- remediation: Replace each wildcard listed in the reason with the actions {name} calls, then update the policy of role {role_name}: aws iam put-role-policy --role-name {role_name} --policy-name <inline policy> --policy-document file://least-privilege.json (customer-managed: aws iam create-policy-version --policy-arn <policy arn> --policy-document file://least-privilege.json --set-as-default; AWS-managed: detach it and attach a scoped policy)

-- wildcard_actions holds "<policy_key>: <pattern>" for every unconditional Allow of "*", "service:*"
-- or NotAction, in inline, customer- and AWS-managed policies alike.
select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when len(wildcard_actions) > 0 then 'fail' else 'pass' end as status,
    case
        when coalesce(len(wildcard_actions), 0) = 0 then
            'Execution role ' || role_name || ' of ' || name
            || ' grants no unconditional wildcard action (*, service:* or NotAction) in any identity policy'
        else
            'Execution role ' || role_name || ' of ' || name || ' grants unconditional wildcard actions: '
            || preview(wildcard_actions, 5)
    end as reason,
    name,
    role_name
from function_role_facts
