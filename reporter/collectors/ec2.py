"""EC2 (regional): every subnet with its effective route table and where its default route goes.

Call plan: ``DescribeSubnets`` and ``DescribeRouteTables`` (both paginated) for the whole region,
joined here: two calls however many functions and subnets there are. Every subnet is recorded
(the rules join them to the functions' subnet ids).

A subnet uses its explicitly associated route table, else its VPC's main table. Its default
route is the *active* ``0.0.0.0/0`` route (a blackhole route carries no traffic). A subnet
whose route table is not returned (shared from another account) is kept, with an Issue for that
subnet: its routes are unknown, so LG-NET-02 is an error for the functions in it, never a fail.
"""

from __future__ import annotations

from typing import Any

from reporter.collectors.base import Collector, CollectResult, Issue, UnitContext
from reporter.collectors.common import items

DEFAULT_DESTINATION = "0.0.0.0/0"
# Ordered: a NAT instance route names both the instance and its ENI; the ENI is what carries it.
_TARGET_FIELDS = (
    "NatGatewayId",
    "GatewayId",
    "TransitGatewayId",
    "NetworkInterfaceId",
    "VpcPeeringConnectionId",
    "InstanceId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "CoreNetworkArn",
)
_LIVE_ASSOCIATION = {"associated", None}


def collect(ctx: UnitContext) -> CollectResult:
    client = ctx.client("ec2")
    result = CollectResult()
    subnets = list(items(client, "describe_subnets", "Subnets"))
    explicit: dict[str, dict[str, Any]] = {}
    main: dict[str, dict[str, Any]] = {}
    for table in items(client, "describe_route_tables", "RouteTables"):
        for assoc in table.get("Associations") or []:
            if (assoc.get("AssociationState") or {}).get("State") not in _LIVE_ASSOCIATION:
                continue
            if assoc.get("Main"):
                main[table.get("VpcId", "")] = table
            elif assoc.get("SubnetId"):
                explicit[assoc["SubnetId"]] = table
    for subnet in subnets:
        is_main = subnet["SubnetId"] not in explicit
        effective = main.get(subnet.get("VpcId", "")) if is_main else explicit[subnet["SubnetId"]]
        target = default_route_target(effective) if effective else None
        if effective is None:
            result.issues.append(_unreadable_routes(ctx, subnet))
        result.add(
            "subnets",
            {
                "account_id": ctx.account_id,
                "region": ctx.region,
                "subnet_id": subnet["SubnetId"],
                "vpc_id": subnet.get("VpcId"),
                "availability_zone": subnet.get("AvailabilityZone"),
                "route_table_id": effective.get("RouteTableId") if effective else None,
                "route_table_is_main": is_main and effective is not None,
                "default_route_target": target,
                "nat_default_route": bool(target and target.startswith("nat-")),
                "igw_default_route": bool(target and target.startswith("igw-")),
            },
        )
    return result


def _unreadable_routes(ctx: UnitContext, subnet: dict[str, Any]) -> Issue:
    """A subnet whose route table this account cannot see: its routes are unknown, not absent.

    A subnet shared through AWS RAM is listed to the participant account, but its route tables
    stay with the owner (VPC sharing: participants cannot view or modify the owner's route
    tables), so DescribeRouteTables here returns neither an association nor a main table.
    """
    subnet_id = str(subnet["SubnetId"])
    owner = str(subnet.get("OwnerId") or ctx.account_id)
    arn = str(subnet.get("SubnetArn") or f"arn:{ctx.partition}:ec2:{ctx.region}:{owner}:subnet/{subnet_id}")
    if owner != ctx.account_id:
        why = f"its VPC is shared by account {owner}, which holds its route table"
    else:
        why = "no route table of its VPC was returned"
    message = f"route table of {subnet_id} not readable: {why}"
    return Issue(("subnets",), "RouteTableNotReadable", message, arn)


def default_route_target(table: dict[str, Any]) -> str | None:
    """The target id of the table's active 0.0.0.0/0 route, None when there is none."""
    for route in table.get("Routes") or []:
        if (
            route.get("DestinationCidrBlock") != DEFAULT_DESTINATION
            or route.get("State", "active") != "active"
        ):
            continue
        for field in _TARGET_FIELDS:
            if route.get(field):
                return str(route[field])
    return None


COLLECTOR = Collector(
    name="ec2",
    scope="regional",
    tables=("subnets",),
    # DescribeRegions: not this collector's call, the crawler's inside each account (aws/regions.py)
    actions=("ec2:DescribeSubnets", "ec2:DescribeRouteTables", "ec2:DescribeRegions"),
    size_rank=3,  # two calls
    collect=collect,
)
