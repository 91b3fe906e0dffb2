"""Terraform plans: the subnets of VPC functions, with their Availability Zone and default route.

A subnet's route table is the one an ``aws_route_table_association`` gives it; its default route
(``0.0.0.0/0``) comes from an ``aws_route`` or an inline ``route`` block of ``aws_route_table``.
A NAT gateway created in the same plan has an id only after apply: the configuration's references
(``aws_nat_gateway.main.id``) say what the route goes to. A subnet with no association in the plan
uses its VPC's main route table, which a plan does not show: LG-NET-02 is then unresolved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reporter.iac.resolve import Unresolved
from reporter.iac.routes import route_target

if TYPE_CHECKING:
    from reporter.iac.tf_map import PlanMapper

_TARGETS = (
    ("nat_gateway_id", "aws_nat_gateway"),
    ("gateway_id", "aws_internet_gateway"),
    ("transit_gateway_id", "aws_ec2_transit_gateway"),
    ("network_interface_id", "aws_network_interface"),
    ("vpc_peering_connection_id", "aws_vpc_peering_connection"),
)


def default_routes(m: PlanMapper) -> dict[str, tuple[str, str | None, str | None]]:
    """Subnet address → (route table address, target attribute, target) of its default route."""
    tables: dict[str, tuple[str | None, str | None]] = {}
    for res in m.by_type.get("aws_route_table", []):
        tables[res["address"]] = (None, None)
        for route in m.attr(res, "route") or []:
            if isinstance(route, Mapping) and route.get("cidr_block") == "0.0.0.0/0":
                tables[res["address"]] = _target(m, res, route, "route")
    for res in m.by_type.get("aws_route", []):
        table = m.one(res, "route_table_id", ("aws_route_table",), {})
        if isinstance(table, str) and m.attr(res, "destination_cidr_block") == "0.0.0.0/0":
            tables[table] = _target(m, res, res.get("values") or {}, None)
    out: dict[str, tuple[str, str | None, str | None]] = {}
    for res in m.by_type.get("aws_route_table_association", []):
        subnet = m.one(res, "subnet_id", ("aws_subnet",), {})
        table = m.one(res, "route_table_id", ("aws_route_table",), {})
        if isinstance(subnet, str) and isinstance(table, str) and table in tables:
            out[subnet] = (table, *tables[table])
    return out


def _target(
    m: PlanMapper, res: Mapping[str, Any], values: Mapping[str, Any], block: str | None
) -> tuple[str | None, str | None]:
    for attribute, kind in _TARGETS:
        if isinstance(values.get(attribute), str) and values[attribute]:
            return attribute, values[attribute]
        found = m.targets(res, block or attribute, (kind,))
        if not isinstance(found, Unresolved):
            return attribute, found[0]
    return None, None


def add_subnets(m: PlanMapper, function_arn: str, subnet_ids: list[str]) -> None:
    routes = default_routes(m)
    for sid in subnet_ids:
        res = m.by_address.get(sid)
        if res is None or res.get("type") != "aws_subnet":
            m.b.unknown(function_arn, "table", "subnets", f"subnet {sid} is not defined in this plan")
            continue
        zone = m.attr(res, "availability_zone")
        if not isinstance(zone, str):
            m.b.unknown(
                function_arn, "table", "subnets", f"the Availability Zone of {sid} is known only after apply"
            )
            continue
        table, attribute, target = routes.get(sid, (None, None, None))
        if table is None:
            why = f"subnet {sid} has no route table association in this plan (the main table is not in it)"
            m.b.unknown(function_arn, "column", "default_route_target", why)
        if any(r["subnet_id"] == sid for r in m.b.records.get("subnets", []) if r["account_id"] == m.account):
            continue
        m.b.add(
            "subnets",
            account_id=m.account,
            subnet_id=sid,
            availability_zone=zone,
            vpc_id=None,
            route_table_id=table,
            route_table_is_main=False,
            default_route_target=(
                route_target(attribute, target, vpn_gateway=target.startswith("aws_vpn_gateway."))
                if attribute and target
                else None
            ),
            nat_default_route=attribute == "nat_gateway_id",
            igw_default_route=attribute == "gateway_id",
        )
