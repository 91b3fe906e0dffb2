-- id: LG-IAM-06
-- title: Execution roles have a permissions boundary
-- severity: medium
-- scope: function
-- guide: Expert-Level Serverless Governance Best Practices
-- frameworks: none (the guide: "Use Permissions Boundaries for Delegation"; no managed rule covers boundaries)
-- reads: functions, roles
-- risk: {count}{where} {have} execution roles without a permissions boundary
-- owner: Platform IAM team
-- remediation: {create_boundary}aws iam put-role-permissions-boundary --role-name {role_name} --permissions-boundary {boundary_arn}

-- The suggested boundary is the one most execution roles of the account already use; with none in
-- use, a new policy modelled on the guide's boundary.
with in_use as (
    select account_id, boundary_arn, count(distinct role_arn) as roles
    from function_roles
    where boundary_arn is not null
    group by account_id, boundary_arn
),
usual as (
    select account_id, first(boundary_arn order by roles desc, boundary_arn) as boundary_arn, max(roles) as roles
    from in_use
    group by account_id
)
select
    fr.account_id,
    fr.region,
    'function' as resource_type,
    fr.name as resource_id,
    fr.function_arn as resource_arn,
    case when fr.boundary_arn is null then 'fail' else 'pass' end as status,
    case
        when fr.boundary_arn is not null then
            'Execution role ' || fr.role_name || ' of ' || fr.name || ' has permissions boundary ' || fr.boundary_arn
        else
            'Execution role ' || fr.role_name || ' of ' || fr.name || ' has no permissions boundary'
            || case
                when u.boundary_arn is not null then
                    '; ' || u.roles || ' other execution role(s) in this account use ' || u.boundary_arn
                else ''
            end
    end as reason,
    fr.role_name,
    coalesce(u.boundary_arn, 'arn:' || fr.arn_partition || ':iam::' || fr.account_id || ':policy/LambdaExecutionBoundary')
        as boundary_arn,
    case
        when u.boundary_arn is null then
            'aws iam create-policy --policy-name LambdaExecutionBoundary --policy-document file://boundary.json'
            || ' (the guide''s boundary: allow what the application needs, deny iam:* and kms:*), then '
        else ''
    end as create_boundary
from function_roles as fr
left join usual as u on u.account_id = fr.account_id
