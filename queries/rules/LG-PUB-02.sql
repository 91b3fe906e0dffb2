-- id: LG-PUB-02
-- title: Function URLs require IAM authentication
-- severity: high
-- scope: function
-- guide: Serverless Governance: A Paradigm Shift
-- frameworks: none
-- reads: functions, function_urls
-- risk: {count}{where} {have} a public URL that anyone can call without signing in
-- owner: Function owners, with Cloud security
-- remediation: aws lambda update-function-url-config --function-name {name} --region {region}{qualifier_arg} --auth-type AWS_IAM

-- Every function is judged: one without a function URL passes (it has no URL to open).
with urls as (
    select
        function_arn,
        count(*) as urls,
        list(coalesce('alias ' || qualifier || ': ', '') || url order by qualifier nulls first)
            filter (where auth_type = 'NONE') as open_urls,
        first(qualifier order by qualifier nulls first) filter (where auth_type = 'NONE') as open_qualifier
    from function_urls
    group by function_arn
)
select
    f.account_id,
    f.region,
    'function' as resource_type,
    f.name as resource_id,
    f.function_arn as resource_arn,
    case when len(u.open_urls) > 0 then 'fail' else 'pass' end as status,
    case
        when len(u.open_urls) > 0 then
            f.name || ' has a function URL with AuthType NONE, callable by anyone on the internet: '
            || preview(u.open_urls, 3)
        when u.urls > 0 then f.name || ' has ' || u.urls || ' function URL(s), all with AuthType AWS_IAM'
        else f.name || ' has no function URL'
    end as reason,
    f.name,
    coalesce(' --qualifier ' || u.open_qualifier, '') as qualifier_arg
from functions as f
left join urls as u on u.function_arn = f.function_arn
