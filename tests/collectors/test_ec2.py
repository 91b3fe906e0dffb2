from __future__ import annotations

from typing import Any

import boto3
import pytest

from reporter.collectors import ec2
from tests.collectors.helpers import (
    REGION,
    RecordingClients,
    assert_calls_declared,
    assert_records_match_schemas,
    assume,
    stubbed,
)


@pytest.fixture
def world(moto: None) -> dict[str, str]:
    """One VPC: a private subnet routed to a NAT, a public one on the main table (IGW);
    a second VPC whose main table has no default route."""
    client = boto3.client("ec2", region_name=REGION)
    vpc = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    private = client.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")[
        "Subnet"
    ]["SubnetId"]
    public = client.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1b")[
        "Subnet"
    ]["SubnetId"]
    igw = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    allocation = client.allocate_address(Domain="vpc")["AllocationId"]
    nat = client.create_nat_gateway(SubnetId=public, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    private_table = client.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    client.create_route(RouteTableId=private_table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    client.associate_route_table(RouteTableId=private_table, SubnetId=private)
    main = client.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["RouteTableId"]
    client.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    isolated_vpc = client.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    isolated = client.create_subnet(VpcId=isolated_vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    return {
        "vpc": vpc,
        "private": private,
        "public": public,
        "isolated": isolated,
        "nat": nat,
        "igw": igw,
        "private_table": private_table,
        "main": main,
    }


def test_every_subnet_with_its_effective_route_table(world: dict[str, str]) -> None:
    clients = RecordingClients()
    result = ec2.collect(clients.context())

    assert_records_match_schemas(result)
    subnets = {s["subnet_id"]: s for s in result.records["subnets"]}
    every = {s["SubnetId"] for s in boto3.client("ec2", region_name=REGION).describe_subnets()["Subnets"]}
    assert set(subnets) == every  # the default VPC's subnets too
    private, public, isolated = (
        subnets[world["private"]],
        subnets[world["public"]],
        subnets[world["isolated"]],
    )
    assert (private["vpc_id"], private["availability_zone"]) == (world["vpc"], "us-east-1a")
    assert (private["route_table_id"], private["route_table_is_main"]) == (world["private_table"], False)
    assert (private["default_route_target"], private["nat_default_route"], private["igw_default_route"]) == (
        world["nat"],
        True,
        False,
    )
    assert (public["route_table_id"], public["route_table_is_main"]) == (world["main"], True)
    assert (public["default_route_target"], public["nat_default_route"], public["igw_default_route"]) == (
        world["igw"],
        False,
        True,
    )
    assert isolated["route_table_is_main"] is True
    assert (
        isolated["default_route_target"],
        isolated["nat_default_route"],
        isolated["igw_default_route"],
    ) == (
        None,
        False,
        False,
    )
    assert sorted(clients.calls) == ["ec2:DescribeRouteTables", "ec2:DescribeSubnets"]
    assert_calls_declared(clients.calls, ec2.COLLECTOR)


def test_accounts_are_isolated(moto: None) -> None:
    other = assume("222222222222")
    mine = boto3.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = boto3.client("ec2", region_name=REGION).create_subnet(VpcId=mine, CidrBlock="10.9.1.0/24")[
        "Subnet"
    ]
    result = ec2.collect(RecordingClients(other).context("222222222222"))
    assert subnet["SubnetId"] not in {s["subnet_id"] for s in result.records["subnets"]}


def route(**fields: Any) -> dict[str, Any]:
    return {"DestinationCidrBlock": "0.0.0.0/0", "State": "active", **fields}


@pytest.mark.parametrize(
    ("routes", "target"),
    [
        ([route(NatGatewayId="nat-1")], "nat-1"),
        ([route(GatewayId="igw-1")], "igw-1"),
        ([route(TransitGatewayId="tgw-1")], "tgw-1"),
        ([route(VpcPeeringConnectionId="pcx-1")], "pcx-1"),
        ([route(InstanceId="i-1", NetworkInterfaceId="eni-1")], "eni-1"),  # a NAT instance
        ([route(NatGatewayId="nat-1", State="blackhole")], None),
        ([{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}], None),
        ([{"DestinationPrefixListId": "pl-1", "GatewayId": "vpce-1", "State": "active"}], None),
        ([], None),
    ],
)
def test_default_route_target(routes: list[dict[str, Any]], target: str | None) -> None:
    assert ec2.default_route_target({"Routes": routes}) == target


def test_route_tables_across_pages_and_stale_associations() -> None:
    ctx, stub = stubbed("ec2")
    subnets = [
        {"SubnetId": "subnet-a", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a"},
        {"SubnetId": "subnet-b", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1b"},
    ]
    stub.add_response("describe_subnets", {"Subnets": subnets}, {})
    main = {
        "RouteTableId": "rtb-main",
        "VpcId": "vpc-1",
        "Associations": [{"Main": True, "AssociationState": {"State": "associated"}}],
        "Routes": [route(GatewayId="igw-1")],
    }
    stale = {
        "RouteTableId": "rtb-stale",
        "VpcId": "vpc-1",
        "Associations": [
            {"Main": False, "SubnetId": "subnet-b", "AssociationState": {"State": "disassociated"}}
        ],
        "Routes": [route(NatGatewayId="nat-9")],
    }
    private = {
        "RouteTableId": "rtb-private",
        "VpcId": "vpc-1",
        "Associations": [
            {"Main": False, "SubnetId": "subnet-a", "AssociationState": {"State": "associated"}}
        ],
        "Routes": [route(NatGatewayId="nat-1")],
    }
    stub.add_response("describe_route_tables", {"RouteTables": [main, stale], "NextToken": "n"}, {})
    stub.add_response("describe_route_tables", {"RouteTables": [private]}, {"NextToken": "n"})

    result = ec2.collect(ctx)

    stub.assert_no_pending_responses()
    subnets_by_id = {s["subnet_id"]: s for s in result.records["subnets"]}
    assert subnets_by_id["subnet-a"]["route_table_id"] == "rtb-private"  # found on page two
    assert subnets_by_id["subnet-b"]["route_table_id"] == "rtb-main"  # the stale association does not count
    assert subnets_by_id["subnet-b"]["igw_default_route"] is True


def test_a_shared_subnet_whose_route_table_is_not_readable_is_an_issue_not_no_route() -> None:
    """VPC sharing: the participant lists the owner's subnet but not its route tables."""
    ctx, stub = stubbed("ec2")
    owner = "999999999999"
    shared = {
        "SubnetId": "subnet-shared",
        "VpcId": "vpc-owner",
        "AvailabilityZone": "us-east-1a",
        "OwnerId": owner,
        "SubnetArn": f"arn:aws:ec2:us-east-1:{owner}:subnet/subnet-shared",
    }
    stub.add_response("describe_subnets", {"Subnets": [shared]}, {})
    stub.add_response("describe_route_tables", {"RouteTables": []}, {})

    result = ec2.collect(ctx)

    [row] = result.records["subnets"]
    assert row["availability_zone"] == "us-east-1a" and row["route_table_id"] is None
    [issue] = result.issues
    assert issue.tables == ("subnets",) and issue.error_code == "RouteTableNotReadable"
    assert issue.resource_arn == shared["SubnetArn"]
    assert f"shared by account {owner}" in issue.message
