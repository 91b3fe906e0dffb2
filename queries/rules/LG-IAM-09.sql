-- id: LG-IAM-09
-- title: Execution roles grant nothing their boundary blocks
-- severity: low
-- scope: function
-- guide: Preventive Controls: Safely Delegating with Permissions Boundaries
-- frameworks: none (the guide's own role allows dynamodb:UpdateItem, which its boundary does not)
-- reads: functions, roles, role_facts
-- risk: {count}{where} {have} execution roles granting permissions their boundary silently blocks
-- owner: Platform IAM team
-- remediation: Remove {dead_grant_list} from the policies of role {role_name}, or widen boundary {boundary_arn} if {name} needs them (a dead grant fails at run time with AccessDenied)

-- Only roles with a boundary can have dead grants; roles without one are not applicable here.
select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when len(dead_grants) > 0 then 'fail' else 'pass' end as status,
    case
        when coalesce(len(dead_grants), 0) = 0 then
            'Every action execution role ' || role_name || ' of ' || name
            || ' grants is allowed by its permissions boundary ' || boundary_arn
        else
            'Execution role ' || role_name || ' of ' || name || ' grants actions its permissions boundary '
            || boundary_arn || ' blocks (dead grants): ' || preview(dead_grants, 6)
    end as reason,
    name,
    role_name,
    boundary_arn,
    preview(dead_grants, 3) as dead_grant_list
from function_role_facts
where boundary_arn is not null
