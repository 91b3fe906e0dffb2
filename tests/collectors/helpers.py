"""Test plumbing for the collectors: client factories that record calls, stubbed clients, checks.

Two ways to stand in for AWS, chosen per test:

- moto in-process (``mock_aws``) for state: functions, roles, subnets… built with ordinary boto3
  calls; the collectors then read it through :class:`RecordingClients`.
- a pure ``botocore.stub.Stubber`` client (:func:`stubbed`) for what moto lacks or ignores
  (account settings, provisioned concurrency, URL listings, Config compliance, MaxItems
  pagination) and for failures on a chosen call. Stubber answers every call from an ordered
  queue and fails on any other call, so these tests also pin the exact call plan. Mixing both
  on one client is not possible: an active Stubber refuses every operation not queued.
"""

from __future__ import annotations

import functools
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.stub import Stubber

from reporter.collectors.base import Collector, CollectResult, UnitContext
from reporter.inventory import collected_schema, frame

DEFAULT_ACCOUNT = "123456789012"
REGION = "us-east-1"


class RecordingClients:
    """A ``ClientFactory`` over one boto3 session that records every operation attempted."""

    def __init__(self, session: boto3.Session | None = None, region: str = REGION) -> None:
        self.session = session or boto3.Session(region_name=region)
        self.region = region
        self.calls: list[str] = []
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            client = self.session.client(service, region_name=self.region)  # type: ignore[call-overload]
            client.meta.events.register("before-call", self._recorder(service))
            self._clients[service] = client
        return self._clients[service]

    def _recorder(self, service: str) -> Callable[..., None]:
        def record(model: Any, **_: Any) -> None:
            # before-call fires before moto or the network sees the request: failures count too
            self.calls.append(f"{service}:{model.name}")

        return record

    def context(self, account_id: str = DEFAULT_ACCOUNT) -> UnitContext:
        return UnitContext(account_id=account_id, region=self.region, client=self)


@functools.cache
def _stub_session() -> boto3.Session:
    # one botocore session keeps its loaded service models: a client then costs ms, not ~0.5 s;
    # handlers a test registers go to its own client's copy of the event emitter, not here
    return boto3.Session(botocore_session=botocore.session.get_session(), region_name=REGION)


def stubbed(service_name: str, region: str = REGION) -> tuple[UnitContext, Stubber]:
    """A UnitContext whose only client is a Stubber-backed ``service_name`` client (activated)."""
    client = _stub_session().client(service_name, region_name=region)  # type: ignore[call-overload]
    stubber = Stubber(client)
    stubber.activate()

    def factory(service: str) -> Any:
        assert service == service_name, f"collector asked for an unexpected client: {service}"
        return client

    return UnitContext(account_id=DEFAULT_ACCOUNT, region=region, client=factory), stubber


def assert_records_match_schemas(result: CollectResult) -> None:
    """Every record has exactly its table's collected columns (derived ones are the judge step's) and
    frames under the table's schema."""
    for table, records in result.records.items():
        expected = set(collected_schema(table).names)
        for record in records:
            assert set(record) == expected, (table, set(record) ^ expected)
        assert len(frame(table, records)) == len(records)


def assert_calls_declared(calls: list[str], collector: Collector) -> None:
    assert calls, "no call recorded"
    undeclared = sorted(set(calls) - set(collector.actions))
    assert not undeclared, f"{collector.name} calls undeclared actions {undeclared}"


@functools.cache
def operation_names(service: str) -> frozenset[str]:
    return frozenset(botocore.session.get_session().get_service_model(service).operation_names)


def assume(account_id: str, region: str = REGION) -> boto3.Session:
    """A session in ``account_id`` through moto's STS (its credentials land in that account)."""
    creds = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="audit"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def lambda_role(session: boto3.Session, name: str = "fn-role") -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = session.client("iam")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
