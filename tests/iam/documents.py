"""Policy documents and helpers the IAM tests share, starting with the guide's own examples (verbatim)."""

from __future__ import annotations

import json
from typing import Any

# The guide's own example role policy and boundary, verbatim: one copy, shared with the demo.
from reporter.demo.guide import GUIDE_BOUNDARY as GUIDE_BOUNDARY
from reporter.demo.guide import GUIDE_ROLE_POLICY as GUIDE_ROLE_POLICY
from reporter.iam import EffectivePermissions, action_database, compile_policy, parse_policy
from reporter.iam.catalog import load_catalog
from reporter.iam.facts import PermissionFacts, permission_facts

LAMBDA_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def policy(*statements: dict[str, Any]) -> str:
    """A policy document (JSON text) holding `statements`."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


CONDITION = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}


def evaluate(*identity: str, boundary: str | None = None) -> EffectivePermissions:
    """The effective permissions of a role with these identity documents and boundary."""
    db = action_database()
    docs = [compile_policy(parse_policy(d), db) for d in identity]
    bound = None if boundary is None else compile_policy(parse_policy(boundary), db)
    return EffectivePermissions(docs, bound, db)


def facts(*identity: str, boundary: str | None = None) -> PermissionFacts:
    return permission_facts(evaluate(*identity, boundary=boundary), load_catalog())
