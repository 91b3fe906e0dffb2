"""Starting session, assumed-role credentials and guarded clients.

One boto3 Session is shared by the whole run; clients are made per unit with explicit
credentials (creating a Session per client costs ~30× more), from client classes and service
models built once per service (client_cache.py). Assumed-role credentials are
botocore ``RefreshableCredentials``, so a long crawl refreshes them instead of dying on expiry.
Every client retries by the transient rule and checks every answer's body (answers.py).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.loaders

from reporter.aws import answers, client_cache
from reporter.aws.guard import CallMonitor
from reporter.aws.partitions import HOME_REGIONS, partition_of_region
from reporter.aws.transient import retried
from reporter.errors import UserError

__all__ = ["HOME_REGIONS", "AccountCredentials", "AwsAccess", "partition_of_region"]

SESSION_NAME = "reporter-audit"
ASSUME_ACTIONS: tuple[str, ...] = ("sts:AssumeRole",)
"""What the starting identity calls to enter each member account (AwsAccess.assume)."""


def client_config(workers: int, *, retries: int = 8) -> botocore.config.Config:
    """Adaptive, jittered retries (decided by the transient rule, see answers.py); bounded
    timeouts so a hung call ends as an error, not a hang."""
    return botocore.config.Config(
        retries={"mode": "adaptive", "total_max_attempts": retries},
        connect_timeout=10,
        read_timeout=60,
        max_pool_connections=max(10, workers),
        user_agent_extra="reporter-lambda-governance",
    )


@dataclass(frozen=True)
class Frozen:
    access_key: str
    secret_key: str
    token: str | None


class AccountCredentials:
    """Credentials for one account: the starting identity's, or a refreshable assumed role."""

    def __init__(
        self,
        account_id: str,
        source: botocore.credentials.Credentials,
        renew: Callable[[], botocore.credentials.Credentials] | None = None,
    ) -> None:
        self.account_id = account_id
        self._source = source
        self._renew = renew
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self.generation = 0
        """Bumped by every forced refresh: a client built at generation g holds g's credentials."""

    @property
    def is_starting_identity(self) -> bool:
        """Read as the starting identity (no role assumed): a Dask worker must do the same."""
        return self._renew is None

    def frozen(self) -> Frozen:
        with self._lock:
            f = self._source.get_frozen_credentials()
        return Frozen(str(f.access_key), str(f.secret_key), f.token)

    def force_refresh(self, seen_generation: int | None = None) -> bool:
        """After an ExpiredToken answer: fetch new credentials before the next call.

        Clients are built with frozen keys (botocore cannot refresh those), so a unit that meets
        ExpiredToken asks for a refresh and rebuilds its clients. When several units of the
        account meet it at once, only the first assumes the role again: the others pass the
        generation their clients were built at and find it already superseded. Returns whether
        new credentials were fetched; raises what AssumeRole raises.
        """
        if self._renew is None:
            return False
        with self._refresh_lock:
            if seen_generation is not None and seen_generation != self.generation:
                return False
            fresh = self._renew()
            with self._lock:
                self._source = fresh
                self.generation += 1
            return True


@dataclass
class AwsAccess:
    """The run's door to AWS: shared session, guard, endpoint, client settings."""

    session: boto3.Session
    monitor: CallMonitor
    config: botocore.config.Config
    endpoint_url: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(
        cls,
        *,
        profile: str | None,
        endpoint_url: str | None,
        workers: int,
        monitor: CallMonitor | None = None,
    ) -> AwsAccess:
        try:
            session = boto3.Session(profile_name=profile)
        except botocore.exceptions.ProfileNotFound:
            raise UserError(f"AWS profile '{profile}' not found") from None
        client_cache.enable(session)
        answers.install_parsers(session._session)
        return cls(
            session=session,
            monitor=monitor or CallMonitor(),
            config=client_config(workers),
            endpoint_url=endpoint_url,
        )

    @classmethod
    def from_session(
        cls,
        session: boto3.Session,
        *,
        endpoint_url: str | None,
        workers: int,
        monitor: CallMonitor | None = None,
    ) -> AwsAccess:
        client_cache.enable(session)
        answers.install_parsers(session._session)
        return cls(
            session=session,
            monitor=monitor or CallMonitor(),
            config=client_config(workers),
            endpoint_url=endpoint_url,
        )

    def client(
        self,
        service: str,
        region: str,
        creds: AccountCredentials | None = None,
        *,
        on_call: Callable[[], None] | None = None,
        config: botocore.config.Config | None = None,
    ) -> Any:
        """A guarded client; ``on_call`` is invoked once per attempted operation (unit accounting).

        ``config`` replaces the run's client configuration (the crawler sets its own retry
        attempts for unit clients).
        """
        kwargs: dict[str, Any] = {"region_name": region, "config": config or self.config}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        if creds is not None:
            f = creds.frozen()
            kwargs.update(
                aws_access_key_id=f.access_key, aws_secret_access_key=f.secret_key, aws_session_token=f.token
            )
        # boto3 Sessions are not thread-safe while they build clients.
        with self._lock:
            make: Any = self.session.client
            client = make(service, **kwargs)
        answers.install_retries(client)
        self.monitor.register(client)
        if on_call is not None:
            client.meta.events.register("before-call.*.*", lambda **_: on_call())
        return client

    def starting_credentials(self, account_id: str) -> AccountCredentials:
        creds = self.session.get_credentials()
        if creds is None:
            raise UserError("no AWS credentials found (set a profile, SSO login, or environment credentials)")
        return AccountCredentials(account_id, creds)

    def assume(
        self, account_id: str, *, role_name: str, external_id: str | None, partition: str
    ) -> AccountCredentials:
        """Refreshable credentials for ``role_name`` in ``account_id``; raises ClientError on denial."""
        role_arn = f"arn:{partition}:iam::{account_id}:role/{role_name}"
        sts = self.client("sts", HOME_REGIONS.get(partition, "us-east-1"))

        def fetch() -> dict[str, str]:
            params: dict[str, Any] = {
                "RoleArn": role_arn,
                "RoleSessionName": SESSION_NAME,
                "DurationSeconds": 3600,
            }
            if external_id:
                params["ExternalId"] = external_id
            c = sts.assume_role(**params)["Credentials"]
            expiry = c["Expiration"]
            if isinstance(expiry, dt.datetime):
                expiry = expiry.astimezone(dt.UTC).isoformat()
            return {
                "access_key": c["AccessKeyId"],
                "secret_key": c["SecretAccessKey"],
                "token": c["SessionToken"],
                "expiry_time": str(expiry),
            }

        def refreshable() -> botocore.credentials.Credentials:
            return botocore.credentials.RefreshableCredentials.create_from_metadata(
                metadata=fetch(), refresh_using=lambda: retried(fetch), method="sts-assume-role"
            )

        # The first assume is retried by the caller, which counts the attempts (crawl.py).
        return AccountCredentials(account_id, refreshable(), renew=lambda: retried(refreshable))
