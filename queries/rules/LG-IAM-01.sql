-- id: LG-IAM-01
-- title: Execution roles have no AdministratorAccess or PowerUserAccess attached
-- severity: critical
-- scope: function
-- guide: Security Governance: The Execution Role is Everything
-- frameworks: AWS Config IAM_ROLE_MANAGED_POLICY_CHECK (the intent of the guide's second rule, judged directly)
-- reads: functions, roles, role_facts, admin_policies
-- context: role_facts
-- risk: {count}{where} run{s} with administrator or power-user rights
-- owner: Platform IAM team
-- remediation: aws iam detach-role-policy --role-name {role_name} --policy-arn {admin_policy_arn}

-- The verdict needs no policy text: an AWS-managed admin policy is attached (roles) or not. It
-- fails whatever the boundary, since a boundary can be detached tomorrow and the admin policy
-- stays. role_facts is context only, to say whether a boundary narrows it today (admin_like comes
-- from effective permissions); when the role's analysis failed, the reason says that is unknown.
with attached_admin as (
    select
        p.function_arn,
        list(distinct a.name order by a.name) as names,
        min(p.policy_arn) as first_arn
    from (select function_arn, unnest(attached_policy_arns) as policy_arn from function_roles) as p
    join admin_policies as a
        on split_part(p.policy_arn, ':', 3) = 'iam'
        and split_part(p.policy_arn, ':', 5) = 'aws'
        and split_part(p.policy_arn, ':', 6) = a.arn_suffix
    group by p.function_arn
)
select
    fr.account_id,
    fr.region,
    'function' as resource_type,
    fr.name as resource_id,
    fr.function_arn as resource_arn,
    case when aa.names is null then 'pass' else 'fail' end as status,
    case
        when aa.names is null then
            'Execution role ' || fr.role_name || ' of ' || fr.name
            || ' has neither AdministratorAccess nor PowerUserAccess attached'
        else
            'Execution role ' || fr.role_name || ' of ' || fr.name || ' has AWS-managed '
            || array_to_string(aa.names, ' and ') || ' attached; '
            || case
                when fr.boundary_arn is null then 'no permissions boundary narrows it'
                when not fr.analysed or fr.analysis_error is not null then
                    'whether its permissions boundary ' || fr.boundary_arn || ' narrows it is unknown ('
                    || coalesce('the IAM analysis failed: ' || fr.analysis_error, 'the role was not analysed') || ')'
                when fr.admin_like then
                    'its permissions boundary ' || fr.boundary_arn
                    || ' does not narrow it: effective permissions still include *:*'
                else
                    'its permissions boundary ' || fr.boundary_arn || ' narrows it'
                    || case when list_contains(aa.names, 'AdministratorAccess') then ' (effective permissions are not *:*)' else '' end
                    || case
                        when coalesce(len(fr.boundary_allows_iam), 0) = 0 then ', no iam:/kms: action gets through'
                        else ', but ' || preview(fr.boundary_allows_iam, 3) || ' still get through'
                    end
                    || ', yet the attachment remains'
            end
    end as reason,
    fr.role_name,
    aa.first_arn as admin_policy_arn
from function_role_facts as fr
left join attached_admin as aa on aa.function_arn = fr.function_arn
