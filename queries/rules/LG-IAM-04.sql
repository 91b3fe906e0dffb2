-- id: LG-IAM-04
-- title: Execution roles enable no privilege escalation
-- severity: high
-- scope: function
-- guide: Preventive Controls: Safely Delegating with Permissions Boundaries
-- frameworks: none (the guide's boundary statement DenyPrivilegeEscalation)
-- reads: functions, roles, role_facts
-- risk: {count}{where} could be used to escalate privileges in their account
-- owner: Platform IAM team
-- remediation: Remove the escalation permissions listed in the reason from role {role_name}, or attach a boundary that denies iam:* and kms:* like the guide's DenyPrivilegeEscalation: aws iam put-role-permissions-boundary --role-name {role_name} --permissions-boundary <boundary policy arn>

-- privilege_escalation names each known method the effective permissions (identity ∩ boundary,
-- minus explicit denies) enable: iam:PassRole with lambda:CreateFunction, iam:Attach*/Put*Policy,
-- iam:CreatePolicyVersion, iam:UpdateAssumeRolePolicy, sts:AssumeRole on "*",
-- lambda:UpdateFunctionCode on "*", …
select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when len(privilege_escalation) > 0 then 'fail' else 'pass' end as status,
    case
        when coalesce(len(privilege_escalation), 0) = 0 then
            'Effective permissions of execution role ' || role_name || ' of ' || name
            || ' enable no known privilege-escalation method'
        else
            'Effective permissions of execution role ' || role_name || ' of ' || name
            || ' enable privilege escalation: ' || preview(privilege_escalation, 5)
    end as reason,
    role_name
from function_role_facts
