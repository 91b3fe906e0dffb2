-- id: LG-RT-03
-- title: Environment variables hold no secrets
-- severity: high
-- scope: function
-- guide: Expert-Level Serverless Governance Best Practices
-- frameworks: none
-- reads: functions
-- risk: {count}{where} {have} environment variables that look like secrets in plain text
-- owner: Function owners
-- remediation: Move {secret_names} of {name} to AWS Secrets Manager or SSM Parameter Store (SecureString) and read it at run time, then drop the variable(s): aws lambda update-function-configuration --function-name {name} --region {region} --environment file://environment-without-secrets.json

-- secret_env_var_names is computed at collection from each variable's name and value shape; the
-- value itself is never stored, so only names can appear here.
select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when len(secret_env_var_names) > 0 then 'fail' else 'pass' end as status,
    case
        when len(secret_env_var_names) > 0 then
            name || ' has environment variable(s) that look like secrets: '
            || preview(list_sort(secret_env_var_names), 5) || ' (names only; values are never read into this report)'
        else
            name || '''s ' || coalesce(len(env_var_names), 0) || ' environment variable(s) do not look like secrets'
    end as reason,
    name,
    array_to_string(list_sort(secret_env_var_names), ', ') as secret_names
from functions
