-- id: LG-NET-02
-- title: VPC functions reach the internet through a NAT gateway
-- severity: low
-- scope: function
-- guide: VPC Networking Timeouts
-- frameworks: none (the guide's troubleshooting: private subnets need a route to a NAT gateway)
-- reads: functions, subnets
-- risk: {count}{where} {are} in subnets without a NAT route, so outbound calls can time out
-- owner: Network team
-- remediation: aws ec2 {route_verb} --route-table-id {route_table_id} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id <nat-gateway-in-a-public-subnet> --region {region}

-- The route table is the subnet's explicit one, else the VPC's main table (resolved by the
-- collector). A subnet missing from the EC2 inventory cannot route anywhere and fails.
with per_subnet as (
    select
        function_arn,
        subnet_id,
        route_table_id,
        not coalesce(nat_default_route, false) as lacks_nat,
        subnet_id || ' (' || case
            when not found then 'subnet not found in the EC2 inventory'
            else 'route table ' || coalesce(route_table_id, '(none)')
                || case when route_table_is_main then ', the VPC main table' else '' end || ': '
                || case
                    when default_route_target is null then 'no default route'
                    else 'default route to ' || default_route_target
                end
        end || ')' as described,
        default_route_target
    from function_subnets
),
verdicts as (
    select
        function_arn,
        count(*) as subnets,
        list(described order by subnet_id) filter (where lacks_nat) as without_nat,
        list(distinct default_route_target) filter (where not lacks_nat) as nat_targets,
        first(route_table_id order by subnet_id) filter (where lacks_nat and route_table_id is not null)
            as route_table_id,
        first(default_route_target is not null order by subnet_id) filter (where lacks_nat and route_table_id is not null)
            as has_default_route
    from per_subnet
    group by function_arn
)
select
    f.account_id,
    f.region,
    'function' as resource_type,
    f.name as resource_id,
    f.function_arn as resource_arn,
    case when len(v.without_nat) > 0 then 'fail' else 'pass' end as status,
    case
        when len(v.without_nat) > 0 then
            f.name || ' has subnet(s) without a default route (0.0.0.0/0) to a NAT gateway, so calls to '
            || 'public endpoints time out there: ' || preview(v.without_nat, 4)
        else
            'All ' || v.subnets || ' subnet(s) of ' || f.name || ' route 0.0.0.0/0 to a NAT gateway ('
            || preview(list_sort(v.nat_targets), 3) || ')'
    end as reason,
    case when v.has_default_route then 'replace-route' else 'create-route' end as route_verb,
    coalesce(v.route_table_id, '<route table of the subnet>') as route_table_id
from functions as f
join verdicts as v on v.function_arn = f.function_arn
