-- id: LG-NET-03
-- title: VPC functions span several Availability Zones
-- severity: medium
-- scope: function
-- guide: VPC Networking Timeouts
-- frameworks: Security Hub Lambda.5; AWS Config LAMBDA_VPC_MULTI_AZ_CHECK
-- reads: functions, subnets
-- risk: {count}{where} run{s} in a single Availability Zone, so one zone outage stops them
-- owner: Network team
-- remediation: aws lambda update-function-configuration --function-name {name} --region {region} --vpc-config SubnetIds={subnet_list},<subnet-in-another-AZ>,SecurityGroupIds={security_group_list}

-- Counts the distinct Availability Zones of the function's subnets found in the EC2 inventory.
with zones as (
    select
        function_arn,
        count(distinct availability_zone) as zones,
        list(distinct availability_zone) filter (where availability_zone is not null) as zone_names,
        list(subnet_id) filter (where not found) as unknown_subnets
    from function_subnets
    group by function_arn
)
select
    f.account_id,
    f.region,
    'function' as resource_type,
    f.name as resource_id,
    f.function_arn as resource_arn,
    case when z.zones < $min_availability_zones then 'fail' else 'pass' end as status,
    f.name || '''s ' || len(f.subnet_ids) || ' subnet(s) span ' || z.zones || ' Availability Zone(s)'
    || case when z.zones > 0 then ' (' || array_to_string(list_sort(z.zone_names), ', ') || ')' else '' end
    || case
        when z.zones < $min_availability_zones then
            ', fewer than ' || $min_availability_zones || ': one zone''s outage stops it'
        else ''
    end
    || case
        when len(z.unknown_subnets) > 0 then
            '; not in the EC2 inventory: ' || preview(list_sort(z.unknown_subnets), 3)
        else ''
    end as reason,
    f.name,
    array_to_string(f.subnet_ids, ',') as subnet_list,
    case
        when len(f.security_group_ids) > 0 then array_to_string(f.security_group_ids, ',')
        else '<security-group>'
    end as security_group_list
from functions as f
join zones as z on z.function_arn = f.function_arn
