-- id: LG-IAM-05
-- title: Each function has its own execution role
-- severity: medium
-- scope: function
-- spans: account
-- guide: Expert-Level Serverless Governance Best Practices
-- frameworks: none (the guide: "One Role, One Function")
-- reads: functions
-- risk: {count}{where} share{s} an execution role, so one compromised function reaches the others
-- owner: Platform IAM team
-- remediation: aws iam create-role --role-name {suggested_role} --assume-role-policy-document file://lambda-trust.json, grant it only what {name} needs, then: aws lambda update-function-configuration --function-name {name} --region {region} --role {suggested_role_arn}

-- Roles are global: sharing is counted over every region of the account (spans: account, so a
-- region whose functions were unread makes these rows errors rather than a possibly wrong pass).
with users as (
    select
        account_id,
        role_arn,
        count(*) as functions,
        list_sort(list(name || ' (' || region || ')')) as names
    from functions
    where role_arn is not null
    group by account_id, role_arn
)
select
    f.account_id,
    f.region,
    'function' as resource_type,
    f.name as resource_id,
    f.function_arn as resource_arn,
    case when u.functions > 1 then 'fail' else 'pass' end as status,
    case
        when u.functions > 1 then
            'Execution role ' || regexp_extract(f.role_arn, '[^/]+$') || ' of ' || f.name || ' is shared by '
            || u.functions || ' functions in account ' || f.account_id || ': ' || preview(u.names, 5)
        else
            'Execution role ' || regexp_extract(f.role_arn, '[^/]+$') || ' is used by ' || f.name || ' only'
    end as reason,
    f.name,
    left(f.name, 59) || '-role' as suggested_role,
    'arn:' || split_part(f.role_arn, ':', 2) || ':iam::' || f.account_id || ':role/' || left(f.name, 59) || '-role'
        as suggested_role_arn
from functions as f
join users as u on u.account_id = f.account_id and u.role_arn = f.role_arn
