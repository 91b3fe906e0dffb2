"""LG-NET-01..03 and LG-RT-01..03."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from reporter.settings import Settings
from tests.rules.helpers import ACCT, REGION, function, judge, only, unit


def _subnet(subnet_id: str, az: str, target: str | None, *, main: bool = False) -> dict[str, Any]:
    return {
        "account_id": ACCT,
        "region": REGION,
        "subnet_id": subnet_id,
        "vpc_id": "vpc-1",
        "availability_zone": az,
        "route_table_id": f"rtb-{subnet_id[-1]}",
        "route_table_is_main": main,
        "default_route_target": target,
        "nat_default_route": bool(target and target.startswith("nat-")),
        "igw_default_route": bool(target and target.startswith("igw-")),
    }


def _in_vpc(name: str, *subnets: str) -> dict[str, Any]:
    return function(name, vpc_id="vpc-1", subnet_ids=list(subnets), security_group_ids=["sg-1"])


def test_net_01() -> None:
    findings = judge({"functions": [function("public"), _in_vpc("private", "subnet-a")]}, "LG-NET-01")
    public, private = only(findings, "LG-NET-01", "public"), only(findings, "LG-NET-01", "private")
    assert public["status"] == "fail" and "is not attached to a VPC" in public["reason"]
    assert "--vpc-config SubnetIds=" in public["remediation"]
    assert private["status"] == "pass" and "attached to VPC vpc-1 through 1 subnet(s)" in private["reason"]


def test_net_02_names_the_subnet_and_what_its_default_route_goes_to() -> None:
    records = {
        "functions": [
            _in_vpc("ok", "subnet-a"),
            _in_vpc("mixed", "subnet-a", "subnet-b", "subnet-c", "subnet-d"),
            function("outside"),
        ],
        "subnets": [
            _subnet("subnet-a", "eu-west-1a", "nat-1"),
            _subnet("subnet-b", "eu-west-1b", "igw-9"),
            _subnet("subnet-c", "eu-west-1c", None, main=True),
        ],
    }
    findings = judge(records, "LG-NET-02")
    assert sorted(findings["resource_id"]) == ["mixed", "ok"]
    ok = only(findings, "LG-NET-02", "ok")
    assert ok["status"] == "pass" and "route 0.0.0.0/0 to a NAT gateway (NAT gateway nat-1)" in ok["reason"]
    mixed = only(findings, "LG-NET-02", "mixed")
    assert mixed["status"] == "fail"
    assert "subnet-b (route table rtb-b: default route to internet gateway igw-9" in mixed["reason"]
    assert "subnet-c (route table rtb-c, the VPC main table: no default route)" in mixed["reason"]
    assert "subnet-d (subnet not found in the EC2 inventory)" in mixed["reason"]
    assert "subnet-a" not in mixed["reason"]
    assert mixed["remediation"].startswith("aws ec2 replace-route --route-table-id rtb-b ")


@pytest.mark.parametrize(
    ("target", "status", "fragment"),
    [
        ("tgw-0abc", "pass", "through an egress path (Transit Gateway tgw-0abc)"),
        ("vpce-0fw", "pass", "(VPC endpoint (Gateway Load Balancer or Network Firewall) vpce-0fw)"),
        ("eni-0nat", "pass", "(network interface (NAT instance or appliance) eni-0nat)"),
        ("igw-1", "fail", "default route to internet gateway igw-1, which gives a function no way out"),
        ("pcx-1", "fail", "peering connection pcx-1, which carries no traffic on to the internet"),
        (None, "fail", "no default route"),
    ],
)
def test_net_02_egress_through_something_else_passes_naming_the_target(
    target: str | None, status: str, fragment: str
) -> None:
    records = {
        "functions": [_in_vpc("api", "subnet-a")],
        "subnets": [_subnet("subnet-a", "eu-west-1a", target)],
    }
    finding = only(judge(records, "LG-NET-02"), "LG-NET-02")
    assert finding["status"] == status and fragment in finding["reason"]
    if status == "pass":
        assert finding["remediation"] is None or finding["remediation"] == ""


def test_net_02_unreadable_route_table_is_an_error_not_a_fail() -> None:
    arn = f"arn:aws:ec2:{REGION}:999999999999:subnet/subnet-a"
    records = {
        "functions": [_in_vpc("api", "subnet-a"), _in_vpc("other", "subnet-b")],
        "subnets": [_subnet("subnet-a", "eu-west-1a", None), _subnet("subnet-b", "eu-west-1b", "nat-1")],
        "coverage": [
            unit("ec2", ["subnets"]),
            unit(
                "ec2",
                ["subnets"],
                status="error",
                error_code="RouteTableNotReadable",
                message="route table of subnet-a not readable: its VPC is shared by account 999999999999",
                resource_arn=arn,
            ),
        ],
    }
    findings = judge(records, "LG-NET-02")
    api = only(findings, "LG-NET-02", "api")
    assert api["status"] == "error" and "RouteTableNotReadable" in api["reason"]
    assert not api["remediation"]
    assert only(findings, "LG-NET-02", "other")["status"] == "pass"


@pytest.mark.parametrize(
    ("subnets", "status", "fragment"),
    [
        (
            ["subnet-a", "subnet-x"],
            "fail",
            "2 subnet(s) span 1 Availability Zone(s) (eu-west-1a), fewer than 2",
        ),
        (["subnet-a", "subnet-b"], "pass", "span 2 Availability Zone(s) (eu-west-1a, eu-west-1b)"),
    ],
)
def test_net_03_counts_distinct_zones(subnets: list[str], status: str, fragment: str) -> None:
    records = {
        "functions": [_in_vpc("api", *subnets)],
        "subnets": [
            _subnet("subnet-a", "eu-west-1a", "nat-1"),
            _subnet("subnet-x", "eu-west-1a", "nat-1"),
            _subnet("subnet-b", "eu-west-1b", "nat-1"),
        ],
    }
    finding = only(judge(records, "LG-NET-03"), "LG-NET-03")
    assert finding["status"] == status and fragment in finding["reason"]
    if status == "fail":
        assert (
            "SubnetIds=subnet-a,subnet-x,<subnet-in-another-AZ>,SecurityGroupIds=sg-1"
            in finding["remediation"]
        )


@pytest.mark.parametrize(
    ("runtime", "rt01", "rt02"),
    [
        ("python3.9", ("fail", "deprecated since 2025-12-15"), None),
        ("python3.10", ("fail", "deprecated since 2026-10-31"), None),
        ("dotnet8", ("fail", "AWS blocks updates from 2027-03-03"), None),
        (
            "nodejs22.x",
            ("pass", "supported until 2027-04-30"),
            ("fail", "deprecated on 2027-04-30, in 153 days"),
        ),
        ("python3.11", ("pass", "supported until 2027-06-30"), ("pass", "more than 180 days away")),
        ("python3.13", ("pass", "supported until 2029-06-30"), ("pass", "more than 180 days away")),
        ("python3.99", ("pass", "no deprecation date in the runtime list"), ("pass", "no deprecation date")),
    ],
)
def test_runtime_rules(runtime: str, rt01: tuple[str, str], rt02: tuple[str, str] | None) -> None:
    findings = judge({"functions": [function("api", runtime=runtime)]}, "LG-RT-01", "LG-RT-02")
    first = only(findings, "LG-RT-01")
    assert (first["status"], rt01[1] in first["reason"]) == (rt01[0], True), first["reason"]
    if rt02 is None:  # already deprecated: LG-RT-01's to judge, not LG-RT-02's
        assert findings[findings["rule_id"] == "LG-RT-02"].empty
    else:
        row = only(findings, "LG-RT-02")
        assert (row["status"], rt02[1] in row["reason"]) == (rt02[0], True), row["reason"]


def test_rt_02_warns_inside_the_window_only() -> None:
    records = {"functions": [function("soon", runtime="python3.11"), function("later", runtime="python3.12")]}
    findings = judge(records, "LG-RT-02", settings=Settings(run_date=dt.date(2027, 3, 1)))
    soon, later = only(findings, "LG-RT-02", "soon"), only(findings, "LG-RT-02", "later")
    assert soon["status"] == "fail" and "deprecated on 2027-06-30, in 121 days" in soon["reason"]
    assert soon["remediation"].endswith("--runtime python3.14")
    assert later["status"] == "pass"


def test_rt_01_suggests_the_family_successor_and_skips_images() -> None:
    records = {
        "functions": [
            function("legacy", runtime="go1.x"),
            function("img", package_type="Image", runtime=None),
            function("node", runtime="nodejs16.x"),
        ]
    }
    findings = judge(records, "LG-RT-01")
    assert sorted(findings["resource_id"]) == ["legacy", "node"]
    assert only(findings, "LG-RT-01", "legacy")["remediation"].endswith("--runtime provided.al2023")
    assert only(findings, "LG-RT-01", "node")["remediation"].endswith("--runtime nodejs24.x")


def test_rt_01_judges_against_the_run_date() -> None:
    records = {"functions": [function("api", runtime="python3.11")]}
    before = only(judge(records, "LG-RT-01", settings=Settings(run_date=dt.date(2027, 6, 29))), "LG-RT-01")
    on = only(judge(records, "LG-RT-01", settings=Settings(run_date=dt.date(2027, 6, 30))), "LG-RT-01")
    assert (before["status"], on["status"]) == ("pass", "fail")


def test_rt_03_shows_only_variable_names() -> None:
    records = {
        "functions": [
            function("leaky", env_var_names=["DB_PASSWORD", "STAGE"], secret_env_var_names=["DB_PASSWORD"]),
            function("tidy", env_var_names=["STAGE"]),
        ]
    }
    findings = judge(records, "LG-RT-03")
    leaky = only(findings, "LG-RT-03", "leaky")
    assert leaky["status"] == "fail" and "look like secrets: DB_PASSWORD" in leaky["reason"]
    assert leaky["remediation"].startswith("Move DB_PASSWORD of leaky to AWS Secrets Manager")
    tidy = only(findings, "LG-RT-03", "tidy")
    assert tidy["status"] == "pass" and "1 environment variable(s) do not look like secrets" in tidy["reason"]
