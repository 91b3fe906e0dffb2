"""Shared fixtures: fake credentials only, and boto3 clients pointed at a running DemoServer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from reporter.demo import DemoServer

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
UNSET_ENV = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "MOTO_ACCOUNT_ID")
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=20)


@pytest.fixture(scope="module", autouse=True)
def fake_aws_env() -> Iterator[None]:
    """Never real AWS: fake keys, no profile, no endpoint override (module scope, for module servers)."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in FAKE_ENV.items():
            mp.setenv(key, value)
        for key in UNSET_ENV:
            mp.delenv(key, raising=False)
        yield


class Clients:
    """boto3 clients for the demo's starting identity and for member accounts (via AssumeRole)."""

    def __init__(self, demo: DemoServer, config: Config | None = None) -> None:
        self.demo = demo
        self.config = config
        self.session = boto3.Session()
        self._assumed: dict[str, dict[str, str]] = {}

    def mgmt(self, service: str, region: str = "us-east-1", config: Config | None = None) -> Any:
        creds = self.demo.credentials
        return self.session.client(  # type: ignore[call-overload]
            service,
            region_name=region,
            endpoint_url=self.demo.endpoint_url,
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
            config=config or self.config,
        )

    def assume(self, account_id: str, session_name: str = "demo-tests") -> dict[str, str]:
        role = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
        creds = self.mgmt("sts").assume_role(RoleArn=role, RoleSessionName=session_name)["Credentials"]
        return {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }

    def member(
        self, account_id: str, service: str, region: str = "us-east-1", config: Config | None = None
    ) -> Any:
        if account_id == self.demo.truth.management_account_id:
            return self.mgmt(service, region, config)
        if account_id not in self._assumed:
            self._assumed[account_id] = self.assume(account_id)
        return self.session.client(  # type: ignore[call-overload]
            service,
            region_name=region,
            endpoint_url=self.demo.endpoint_url,
            config=config or self.config,
            **self._assumed[account_id],
        )


def account_id(demo: DemoServer, name: str) -> str:
    return demo.truth.account_named(name).account_id
