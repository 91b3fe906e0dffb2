-- id: LG-IAM-07
-- title: Permissions boundaries block every iam: and kms: action
-- severity: high
-- scope: function
-- guide: Preventive Controls: Safely Delegating with Permissions Boundaries
-- frameworks: none (the guide's boundary example denies iam:* and kms:*)
-- reads: functions, roles, role_facts
-- risk: {count}{where} {have} a permissions boundary that still lets IAM or KMS actions through
-- owner: Platform IAM team
-- remediation: Add the guide's DenyPrivilegeEscalation statement (Effect Deny, Action iam:* and kms:*, Resource *) to boundary {boundary_arn}: aws iam create-policy-version --policy-arn {boundary_arn} --policy-document file://boundary.json --set-as-default

-- Only roles with a boundary are judged (LG-IAM-06 covers the others). boundary_allows_iam lists
-- the iam:/kms: actions the boundary neither denies nor leaves unallowed.
select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when len(boundary_allows_iam) > 0 then 'fail' else 'pass' end as status,
    case
        when coalesce(len(boundary_allows_iam), 0) = 0 then
            'Permissions boundary ' || boundary_arn || ' of execution role ' || role_name || ' (' || name
            || ') blocks every iam: and kms: action'
        else
            'Permissions boundary ' || boundary_arn || ' of execution role ' || role_name || ' (' || name
            || ') lets iam:/kms: actions through: ' || preview(boundary_allows_iam, 6)
    end as reason,
    boundary_arn
from function_role_facts
where boundary_arn is not null
