"""A default route's target as the rules read it (``subnets.default_route_target``).

LG-NET-02 tells egress by the AWS id prefix of the target (nat-, igw-, tgw-, eni-…). A target
created in the same template or plan has no id before deploy; it stands in under its logical id
or address behind the prefix AWS gives that kind of resource, so a NAT gateway defined next to
the route still reads as a NAT gateway.
"""

from __future__ import annotations

import re

_PREFIXES = {
    "nat_gateway_id": "nat-",
    "gateway_id": "igw-",  # an internet gateway, or a virtual private gateway (vgw-)
    "transit_gateway_id": "tgw-",
    "network_interface_id": "eni-",
    "vpc_peering_connection_id": "pcx-",
    "instance_id": "i-",
    "vpc_endpoint_id": "vpce-",
    "carrier_gateway_id": "cagw-",
    "local_gateway_id": "lgw-",
}
_KNOWN = (*_PREFIXES.values(), "vgw-", "arn:")
ROUTE_KEYS = tuple("".join(part.title() for part in key.split("_")) for key in _PREFIXES)
"""The CloudFormation ``AWS::EC2::Route`` properties naming a target (NatGatewayId, GatewayId…)."""


def snake(kind: str) -> str:
    """``NatGatewayId`` (CloudFormation) or ``nat_gateway_id`` (Terraform) → ``nat_gateway_id``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()


def route_target(kind: str, value: str, *, vpn_gateway: bool = False) -> str:
    """The target's AWS id when the file has it, else its logical id behind its kind's prefix."""
    if value.startswith(_KNOWN):
        return value
    key = snake(kind)
    prefix = "vgw-" if vpn_gateway and key == "gateway_id" else _PREFIXES.get(key)
    return f"{prefix}{value}" if prefix else value
