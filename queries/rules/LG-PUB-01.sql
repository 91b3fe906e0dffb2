-- id: LG-PUB-01
-- title: Function policies do not allow public invocation
-- severity: critical
-- scope: function
-- guide: Serverless Governance: A Paradigm Shift
-- frameworks: Security Hub Lambda.1; AWS Config LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED
-- reads: functions, function_policies
-- risk: {count}{where} can be invoked by anyone on the internet
-- owner: Function owners, with Cloud security
-- remediation: aws lambda remove-permission --function-name {name} --region {region}{qualifier_arg} --statement-id {public_sid}

-- is_public (judged from the stored statement, reporter/rules/derive.py): Principal "*" or {"AWS": "*"} without a condition pinning a
-- fixed account, ARN or organization (aws:SourceAccount, aws:SourceArn, aws:SourceOwner,
-- aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, lambda:EventSourceToken).
-- Every function is judged: one without a resource policy cannot be invoked publicly. The
-- policies of its published versions and aliases count too (qualifier set): a permission added
-- with a Qualifier lives there only, and opens that version or alias.
with statements as (
    select
        function_arn,
        count(*) as statements,
        list(coalesce(sid, '(no Sid)') || coalesce(' on qualifier ' || qualifier, '') order by qualifier nulls first, sid)
            filter (where effect = 'Allow' and is_public) as public_sids,
        first(sid order by qualifier nulls first, sid) filter (where effect = 'Allow' and is_public) as public_sid,
        first(qualifier order by qualifier nulls first, sid) filter (where effect = 'Allow' and is_public)
            as public_qualifier,
        count(distinct qualifier) as qualified,
        -- action is canonical JSON ("lambda:InvokeFunction" or a list): shown without its quotes
        list(distinct regexp_replace(action, '["\[\]]', '', 'g')) filter (where effect = 'Allow' and is_public)
            as public_actions
    from function_policies
    group by function_arn
)
select
    f.account_id,
    f.region,
    'function' as resource_type,
    f.name as resource_id,
    f.function_arn as resource_arn,
    case when len(s.public_sids) > 0 then 'fail' else 'pass' end as status,
    case
        when len(s.public_sids) > 0 then
            'Resource policy of ' || f.name || ' lets anyone (Principal *) call ' || preview(list_sort(s.public_actions), 3)
            || ' without a condition pinning an account, ARN or organization: statement(s) ' || preview(s.public_sids, 5)
        when s.statements > 0 then
            'Resource policy of ' || f.name || ' (' || s.statements || ' statement(s)'
            || case when s.qualified > 0 then ', with ' || s.qualified || ' version/alias policies' else '' end
            || ') allows no public access'
        else f.name || ' has no resource-based policy'
    end as reason,
    f.name,
    s.public_sid,
    coalesce(' --qualifier ' || s.public_qualifier, '') as qualifier_arg
from functions as f
left join statements as s on s.function_arn = f.function_arn
