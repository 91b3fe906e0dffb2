from __future__ import annotations

import boto3
import botocore.credentials
import botocore.session
from moto import mock_aws

from reporter.aws import client_cache
from reporter.aws.guard import CallMonitor, ReadOnlyViolation
from reporter.aws.session import AccountCredentials, AwsAccess


def _access() -> AwsAccess:
    return AwsAccess.from_session(boto3.Session(region_name="us-east-1"), endpoint_url=None, workers=2)


def _creds(account_id: str, key: str) -> AccountCredentials:
    return AccountCredentials(account_id, botocore.credentials.Credentials(key, "secret", "token"))


def test_clients_of_one_service_share_class_and_model_but_nothing_else() -> None:
    access = _access()
    a = access.client("lambda", "eu-west-1", _creds("111111111111", "AKIAFIRST"))
    b = access.client("lambda", "us-east-2", _creds("222222222222", "AKIASECOND"))
    assert type(a) is type(b)
    assert a.meta.service_model is b.meta.service_model
    assert a is not b and a.meta.events is not b.meta.events
    assert (a.meta.region_name, b.meta.region_name) == ("eu-west-1", "us-east-2")
    assert a._request_signer._credentials.access_key == "AKIAFIRST"
    assert b._request_signer._credentials.access_key == "AKIASECOND"
    assert type(access.client("ec2", "eu-west-1")) is not type(a)


def test_sessions_not_enabled_keep_botocore_behaviour() -> None:
    _access()  # installs the shim
    plain = boto3.Session(region_name="us-east-1")
    assert type(plain.client("lambda")) is not type(plain.client("lambda"))


def test_cached_clients_still_call_and_stay_guarded() -> None:
    with mock_aws():
        monitor = CallMonitor()
        access = AwsAccess.from_session(
            boto3.Session(region_name="us-east-1"), endpoint_url=None, workers=2, monitor=monitor
        )
        first = access.client("lambda", "us-east-1")
        second = access.client("lambda", "us-east-1")
        assert first.list_functions()["Functions"] == []
        assert second.list_functions()["Functions"] == []
        try:
            second.delete_function(FunctionName="x")
        except ReadOnlyViolation:
            pass
        else:  # pragma: no cover - the guard is the point of the test
            raise AssertionError("a write went through a cached client class")
        assert monitor.calls[("lambda", "ListFunctions")] == 2


def test_enable_reports_support() -> None:
    assert client_cache.enable(boto3.Session(botocore_session=botocore.session.Session())) is True
