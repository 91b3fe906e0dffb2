"""Route targets of templates read as AWS ids would (prefixes from the Amazon VPC route-target ids)."""

from __future__ import annotations

import pytest

from reporter.iac.routes import ROUTE_KEYS, route_target


@pytest.mark.parametrize(
    ("kind", "value", "vpn", "expected"),
    [
        ("NatGatewayId", "Nat", False, "nat-Nat"),  # a NAT gateway defined in the same template
        ("nat_gateway_id", "aws_nat_gateway.main", False, "nat-aws_nat_gateway.main"),
        ("GatewayId", "Igw", False, "igw-Igw"),
        ("GatewayId", "Vpn", True, "vgw-Vpn"),  # GatewayId also names virtual private gateways
        ("gateway_id", "vgw-0abc", False, "vgw-0abc"),  # a literal id is kept as it is
        ("TransitGatewayId", "tgw-0123", False, "tgw-0123"),
        ("VpcEndpointId", "Firewall", False, "vpce-Firewall"),
        ("NetworkInterfaceId", "NatInstanceEni", False, "eni-NatInstanceEni"),
    ],
)
def test_route_target_carries_the_prefix_of_its_kind(kind: str, value: str, vpn: bool, expected: str) -> None:
    assert route_target(kind, value, vpn_gateway=vpn) == expected


def test_route_keys_are_the_cloudformation_route_properties() -> None:
    # AWS::EC2::Route (CloudFormation User Guide): the properties that name a route's target
    assert set(ROUTE_KEYS) == {
        "NatGatewayId",
        "GatewayId",
        "TransitGatewayId",
        "NetworkInterfaceId",
        "VpcPeeringConnectionId",
        "InstanceId",
        "VpcEndpointId",
        "CarrierGatewayId",
        "LocalGatewayId",
    }
