-- view: function_subnets
-- reads: functions, subnets

-- One row per (function, subnet it lists), with the subnet's network facts; found = false when
-- the subnet is not in the EC2 inventory (deleted after the function was configured).
select
    f.account_id,
    f.region,
    f.function_arn,
    f.subnet_id,
    s.subnet_id is not null as found,
    s.vpc_id,
    s.availability_zone,
    s.route_table_id,
    s.route_table_is_main,
    s.default_route_target,
    s.nat_default_route
from (
    select account_id, region, function_arn, unnest(subnet_ids) as subnet_id
    from functions
) as f
left join subnets as s
    on s.account_id = f.account_id and s.region = f.region and s.subnet_id = f.subnet_id
