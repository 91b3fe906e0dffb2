-- id: LG-PERF-02
-- title: Deployment packages stay small
-- severity: low
-- scope: function
-- guide: High "Cold Start" Latency
-- frameworks: none
-- reads: functions
-- risk: {count}{where} {have} large deployment packages that slow every cold start
-- owner: Function owners
-- remediation: Move the large dependencies of {name} into layers and drop unused ones, then redeploy: aws lambda update-function-code --function-name {name} --region {region} --zip-file fileb://function.zip

-- Zip packages only: CodeSize of an image function is not what Lambda downloads at a cold start.
select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when code_size > $code_size_max_bytes then 'fail' else 'pass' end as status,
    name || '''s deployment package is ' || round(code_size / 1048576.0, 1) || ' MiB zipped; '
    || case when code_size > $code_size_max_bytes then 'above' else 'within' end
    || ' the ' || round($code_size_max_bytes / 1048576.0, 1) || ' MiB threshold' as reason,
    name
from functions
where coalesce(package_type, 'Zip') = 'Zip' and code_size is not null
