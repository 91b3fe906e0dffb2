"""Is a Lambda resource-policy statement public? (RULES.md LG-PUB-01, Security Hub Lambda.1)

A statement is public when it is an ``Allow`` that anyone can satisfy:

- its principal is everyone: ``"*"``, ``{"AWS": "*"}`` (string or a list containing ``"*"``),
  or an Allow with ``NotPrincipal`` (everyone but a list); **or**
- its principal is an AWS service (``s3.amazonaws.com``, ``apigateway.amazonaws.com`` …). A
  service invokes the function on behalf of whichever account configured it, so without a pin
  any account's bucket, API or topic can invoke it (the confused-deputy case). AWS Config's
  LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED flags this for S3; we flag every service principal,
  which is stricter than Config for the other services and says so in the finding;

and no condition pins it to a fixed account, ARN or organization. A pin is a condition on one of
:data:`PINNING_KEYS` (case-insensitive) that

- uses a positive operator (``StringEquals``, ``StringLike``, ``ArnEquals``, ``ArnLike``,
  ``StringEqualsIgnoreCase``, optionally ``ForAnyValue:``). Negated operators (``StringNotEquals``
  allows everyone *but* that account), ``…IfExists`` (true when the key is absent, as it is for a
  direct call), ``Null`` and ``ForAllValues:`` (true for an empty key) pin nothing;
- and has values that are all fixed. Any value of the list may match, so one loose value opens
  the statement: ``*`` alone pins nothing; an ARN pins only when its account field is a fixed
  account id (an S3 bucket ARN names no account and a bucket can be re-created by anyone, which
  is why Config wants SourceAccount for S3); an organization path pins when its org id is fixed.

Deny statements are never public.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

PINNING_KEYS: frozenset[str] = frozenset(
    k.lower()
    for k in (
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:PrincipalAccount",
        "aws:SourceArn",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:SourceOrgID",
        # organization paths pin to an organization like the org ids (RULES.md: "or organization")
        "aws:PrincipalOrgPaths",
        "aws:SourceOrgPaths",
        "lambda:EventSourceToken",
    )
)
_ARN_KEYS = frozenset({"aws:sourcearn", "aws:principalarn"})
_ORG_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})
_POSITIVE_OPERATORS = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
)
_WILDCARDS = re.compile(r"[*?]")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


def statement_is_public(statement: dict[str, Any]) -> bool:
    """True when the statement allows a principal nobody has pinned to an account, ARN or org."""
    if str(statement.get("Effect", "")).lower() != "allow":
        return False
    if not _open_principal(statement):
        return False
    return not _pinned(statement.get("Condition"))


def _open_principal(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if "*" in _strings(principal.get("AWS")):
        return True
    return any(s.endswith(".amazonaws.com") or s == "*" for s in _strings(principal.get("Service")))


def _pinned(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, clauses in condition.items():
        if not isinstance(clauses, dict) or not _positive(str(operator)):
            continue
        for key, values in clauses.items():
            key_l = str(key).lower()
            if key_l in PINNING_KEYS and _all_fixed(key_l, values):
                return True
    return False


def _positive(operator: str) -> bool:
    op = operator.lower()
    if op.startswith("forallvalues:"):
        return False
    op = op.removeprefix("foranyvalue:")
    return op in _POSITIVE_OPERATORS


def _all_fixed(key: str, values: Any) -> bool:
    items = _strings(values)
    return bool(items) and all(_fixed(key, v) for v in items)


def _fixed(key: str, value: str) -> bool:
    if key in _ARN_KEYS:
        parts = value.split(":")
        return len(parts) >= 6 and parts[0] == "arn" and bool(_ACCOUNT_ID.match(parts[4]))
    if key in _ORG_PATH_KEYS:
        org = value.split("/", 1)[0]
        return bool(org) and not _WILDCARDS.search(org)
    return bool(value) and not _WILDCARDS.search(value)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, dict | bytes):
        return [str(v) for v in value]
    return []
