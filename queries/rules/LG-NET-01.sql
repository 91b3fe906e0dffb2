-- id: LG-NET-01
-- title: Functions are attached to a VPC
-- severity: medium
-- scope: function
-- guide: Detective Controls with AWS Config
-- frameworks: Security Hub Lambda.3; AWS Config LAMBDA_INSIDE_VPC (the guide's rule 1, under its real identifier)
-- reads: functions
-- risk: {count}{where} {are} not attached to a VPC, outside the network controls
-- owner: Network team
-- remediation: aws lambda update-function-configuration --function-name {name} --region {region} --vpc-config SubnetIds=<private-subnet-a>,<private-subnet-b>,SecurityGroupIds=<security-group>

select
    account_id,
    region,
    'function' as resource_type,
    name as resource_id,
    function_arn as resource_arn,
    case when coalesce(len(subnet_ids), 0) = 0 and vpc_id is null then 'fail' else 'pass' end as status,
    case
        when coalesce(len(subnet_ids), 0) = 0 and vpc_id is null then
            name || ' is not attached to a VPC: its traffic cannot be confined by subnets or security groups'
        else
            name || ' is attached to VPC ' || coalesce(vpc_id, '(unknown)') || ' through '
            || coalesce(len(subnet_ids), 0) || ' subnet(s)'
    end as reason,
    name
from functions
