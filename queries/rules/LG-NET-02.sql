-- id: LG-NET-02
-- title: VPC functions have a way out: a default route through NAT or another egress path
-- severity: low
-- scope: function
-- guide: VPC Networking Timeouts
-- frameworks: none (the guide's troubleshooting: private subnets need a route to a NAT gateway)
-- reads: functions, subnets
-- risk: {count}{where} {are} in subnets without a NAT route, so outbound calls can time out
-- owner: Network team
-- remediation: aws ec2 {route_verb} --route-table-id {route_table_id} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id <nat-gateway-in-a-public-subnet> --region {region}

-- The route table is the subnet's explicit one, else the VPC's main table (resolved by the
-- collector). What the active 0.0.0.0/0 route goes to decides (Amazon VPC route tables, route
-- targets; Lambda's "Internet and service access for VPC-connected functions"):
--   nat-  NAT gateway: pass.
--   tgw-, vpce- (Gateway Load Balancer or AWS Network Firewall endpoint), eni- / i- (a NAT
--   instance or appliance), vgw-, lgw-, a Cloud WAN core network: egress through something
--   else, which this account cannot see past: pass, naming the target.
--   igw-: fail. A function's network interfaces never get a public IP, so an internet gateway
--   route gives them no way out.
--   pcx-: fail. Peering carries no edge-to-edge traffic (no internet through the peer's NAT).
--   cagw- (Wavelength carrier gateway) or no default route: fail.
-- A subnet whose route table cannot be read (a subnet shared from another account) is an
-- error row, made by the engine from the collector's Issue, never a fail here. A subnet missing
-- from the EC2 inventory (deleted since the function was configured) cannot route and fails.
with per_subnet as (
    select
        function_arn,
        subnet_id,
        route_table_id,
        default_route_target as target,
        case
            when default_route_target like 'nat-%' then 'NAT gateway'
            when default_route_target like 'tgw-%' then 'Transit Gateway'
            when default_route_target like 'vpce-%' then 'VPC endpoint (Gateway Load Balancer or Network Firewall)'
            when default_route_target like 'eni-%' then 'network interface (NAT instance or appliance)'
            when default_route_target like 'i-%' then 'instance (NAT instance)'
            when default_route_target like 'vgw-%' then 'virtual private gateway'
            when default_route_target like 'lgw-%' then 'Outposts local gateway'
            when default_route_target like 'arn:%:networkmanager:%' then 'Cloud WAN core network'
        end as egress,
        subnet_id || ' (' || case
            when not found then 'subnet not found in the EC2 inventory'
            else 'route table ' || coalesce(route_table_id, '(none)')
                || case when route_table_is_main then ', the VPC main table' else '' end || ': '
                || case
                    when default_route_target is null then 'no default route'
                    when default_route_target like 'igw-%' then
                        'default route to internet gateway ' || default_route_target
                        || ', which gives a function no way out (its network interfaces have no public IP)'
                    when default_route_target like 'pcx-%' then
                        'default route to peering connection ' || default_route_target
                        || ', which carries no traffic on to the internet'
                    else 'default route to ' || default_route_target
                end
        end || ')' as described
    from function_subnets
),
verdicts as (
    select
        function_arn,
        count(*) as subnets,
        list(described order by subnet_id) filter (where egress is null) as without_egress,
        list(distinct egress || ' ' || target) filter (where egress is not null) as egress_targets,
        bool_and(egress = 'NAT gateway') as all_nat,
        first(route_table_id order by subnet_id) filter (where egress is null and route_table_id is not null)
            as route_table_id,
        first(target is not null order by subnet_id) filter (where egress is null and route_table_id is not null)
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
    case when len(v.without_egress) > 0 then 'fail' else 'pass' end as status,
    case
        when len(v.without_egress) > 0 then
            f.name || ' has subnet(s) without a default route (0.0.0.0/0) to a NAT gateway or another egress '
            || 'path, so calls to public endpoints time out there: ' || preview(v.without_egress, 4)
        else
            'All ' || v.subnets || ' subnet(s) of ' || f.name || ' route 0.0.0.0/0 '
            || case
                when v.all_nat then 'to a NAT gateway'
                else 'through an egress path'
            end
            || ' (' || preview(list_sort(v.egress_targets), 3) || ')'
    end as reason,
    case when v.has_default_route then 'replace-route' else 'create-route' end as route_verb,
    coalesce(v.route_table_id, '<route table of the subnet>') as route_table_id
from functions as f
join verdicts as v on v.function_arn = f.function_arn
