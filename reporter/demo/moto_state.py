"""The few places the demo touches moto's in-process state directly, gathered in one module.

moto keeps every account's backends in process-global dictionaries; its ``mock_aws`` patching
and its ``ThreadedMotoServer``-style WSGI app read and write the same dictionaries. The demo
seeds through boto3 under ``mock_aws`` (exact request parsing and validation), then serves the
very same state over HTTP. Only four things need moto internals: deterministic identifiers,
loading a handful of AWS-managed policies instead of all ~1,600, resetting state on exit, and
one memoised per-request computation of moto's server (``serve_lighter``).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

SEEDING_ENV = {
    # Loading the default AMIs costs ~0.3 s per account-region and nothing here uses them.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


@contextmanager
def in_process_moto(seed: int) -> Iterator[None]:
    """Route boto3 to moto in-process with identifiers drawn from ``seed``; keep the state afterwards."""
    from moto import mock_aws
    from moto.moto_api._internal import mock_random

    for key, value in SEEDING_ENV.items():
        os.environ[key] = value
    mock = mock_aws()
    mock.start(reset=True)
    # Account, organization, role and key ids all come from this generator: seeding it makes
    # the same seed produce the same organization, down to the account ids.
    mock_random.seed(seed)
    try:
        yield
    finally:
        mock.stop(remove_data=False)


def reseed(salt: str) -> None:
    """Draw moto's next identifiers from another stream (same salt, same identifiers)."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(salt)


def serve_lighter() -> None:
    """Memoise moto's per-request list of a response class's methods (``inspect.getmembers``).

    moto recomputes it for every request it serves, ~5 % of the demo server's CPU in the crawl
    benchmark, where the server shares the machine's cores with the crawler it serves. A class's
    methods do not change while the process runs, so the answer is the same."""
    import moto.core.responses as responses

    if not hasattr(responses.method_names_from_class, "cache_info"):
        responses.method_names_from_class = functools.cache(responses.method_names_from_class)


def reset_moto() -> None:
    """Forget every account, as a fresh process would."""
    from moto.core.base_backend import BackendDict
    from moto.core.model_instances import reset_model_data

    BackendDict.reset()
    reset_model_data()


@functools.cache
def _managed_policy_data(name: str) -> dict[str, Any]:
    # The bundled data is one 4.7 MB JSON text; decoding only the needed entries saves ~0.35 s.
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    # Top-level keys sit at one space of indentation; nested documents are indented deeper.
    found = re.search(rf'\n "{re.escape(name)}":\s*\{{', aws_managed_policies_data)
    if found is None:
        raise KeyError(f"moto has no AWS-managed policy named {name}")
    value, _ = json.JSONDecoder().raw_decode(aws_managed_policies_data, found.end() - 1)
    if not isinstance(value, dict):
        raise KeyError(name)
    return value


def managed_policy_arn(name: str) -> str:
    return f"arn:aws:iam::aws:policy{_managed_policy_data(name)['Path']}{name}"


def managed_policy_document(name: str) -> dict[str, Any]:
    document = _managed_policy_data(name)["Document"]
    return dict(document)


def load_aws_managed_policies(account_id: str, names: Iterable[str]) -> None:
    """Make the named AWS-managed policies attachable in ``account_id`` (moto loads none by default)."""
    from moto.iam.models import AWSManagedPolicy, iam_backends

    backend = iam_backends[account_id]["global"]
    for name in names:
        policy = AWSManagedPolicy.from_data(name, account_id, backend.region_name, _managed_policy_data(name))
        if policy.arn not in backend.managed_policies:
            backend.aws_managed_policies.append(policy)
            backend.managed_policies[policy.arn] = policy


def account_of_access_key(access_key_id: str) -> str:
    """The account moto serves for a request signed with this key (moto's own rule)."""
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key_id))


def role_exists(account_id: str, role_name: str) -> bool:
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id]["global"]
    return any(role.name == role_name for role in list(backend.roles.values()))


def lambda_function(account_id: str, region: str, name_or_arn: str) -> Any | None:
    """moto's LambdaFunction ($LATEST) or None."""
    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.awslambda.models import lambda_backends

    try:
        return lambda_backends[account_id][region].get_function(name_or_arn)
    except UnknownFunctionException:
        return None


def lambda_functions(account_id: str, region: str) -> list[Any]:
    from moto.awslambda.models import lambda_backends

    return list(lambda_backends[account_id][region].list_functions())


def config_rule_exists(account_id: str, region: str, rule_name: str) -> bool:
    from moto.config.models import config_backends

    return rule_name in config_backends[account_id][region].config_rules
