"""Parse IAM policy documents (identity, boundary and trust policies) into plain statements.

Accepted: a JSON string or an already-decoded mapping; ``Statement`` as one object or a list;
``Action``/``NotAction``/``Resource``/``NotResource`` and each ``Principal`` value as a string
or a list of strings; ``Condition`` as operator → key → value(s). Element names and the
``Effect`` values ``Allow``/``Deny`` are case-sensitive, as IAM documents them.

Anything else raises :class:`PolicyError` with a one-line message, and nothing but
:class:`PolicyError` escapes :func:`parse_policy`: the caller records the message as the role's
``analysis_error``. Work is bounded before and during decoding by the limits below, which sit
above what IAM itself accepts (6,144 characters for a managed policy, 10,240 for all of a
role's inline policies, whitespace excluded), so no genuine document is refused, while a
hostile one cannot make the evaluation that follows slow (its cost grows with the square of
the number of patterns in the worst case).

Action names are not checked against the action database here: a well-formed name IAM does
not know yet (a newer service, a typo) is kept and matches nothing known; only malformed
names (no ``service:`` prefix, stray characters) are refused, as IAM refuses them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_DOCUMENT_CHARS = 131_072  # characters of JSON text, whitespace included (checked before decoding)
MAX_TEXT_CHARS = 20_480  # characters of all keys and strings: twice IAM's largest policy
MAX_DEPTH = 12  # nesting of objects/arrays; real policies need 5 (Condition values)
MAX_NODES = 40_000  # JSON values in one document
MAX_STATEMENTS = 1_000
MAX_VALUE_CHARS = 4_096  # one action, resource, principal or condition string

VERSIONS = frozenset({"2012-10-17", "2008-10-17"})
_TOP_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_ACTION = re.compile(r"\*|[a-z0-9*?-]+:[a-z0-9*?_.-]+", re.IGNORECASE)
_PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})


class PolicyError(ValueError):
    """A policy document that cannot be analysed; the message is short and safe to show."""


@dataclass(frozen=True)
class Statement:
    """One statement, normalised. Action patterns are lower-cased; resources keep their case."""

    effect: str
    """``Allow`` or ``Deny``."""
    actions: tuple[str, ...]
    """Patterns of ``Action`` or, when :attr:`not_action`, of ``NotAction``."""
    not_action: bool
    resources: tuple[str, ...] | None
    """Patterns of ``Resource``/``NotResource``; None when the statement has neither (trust policies)."""
    not_resource: bool
    principals: tuple[tuple[str, str], ...] | None
    """(type, value) pairs of ``Principal``/``NotPrincipal``; ``"*"`` becomes ``("AWS", "*")``."""
    not_principal: bool
    conditional: bool
    """True when the statement has a non-empty ``Condition``."""
    sid: str | None = None

    @property
    def allow(self) -> bool:
        return self.effect == "Allow"


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]
    version: str | None


def parse_policy(document: object) -> Policy:
    """The statements of ``document`` (JSON text or a decoded mapping).

    Raises :class:`PolicyError`, and nothing else, for anything that is not a valid policy.
    """
    try:
        return _parse(document)
    except PolicyError:
        raise
    except (RecursionError, MemoryError):
        raise PolicyError("policy document is too deeply nested or too large") from None
    except Exception as exc:  # a shape no check above foresaw must still end as an analysis error
        raise PolicyError(f"policy document could not be read ({type(exc).__name__})") from None


def _parse(document: object) -> Policy:
    if isinstance(document, str | bytes):
        text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
        if len(text) > MAX_DOCUMENT_CHARS:
            raise PolicyError(f"policy document is larger than {MAX_DOCUMENT_CHARS} characters")
        try:
            decoded = json.loads(text)
        except RecursionError:
            raise PolicyError("policy document is nested too deeply") from None
        except ValueError as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "unreadable value"
            raise PolicyError(f"policy document is not valid JSON ({reason})") from None
    elif isinstance(document, Mapping):
        decoded = document
    elif document is None:
        raise PolicyError("policy document is missing")
    else:
        raise PolicyError(f"policy document must be a JSON object, not {type(document).__name__}")
    _check_shape(decoded)
    if not isinstance(decoded, Mapping):
        raise PolicyError(f"policy document must be a JSON object, not {_json_type(decoded)}")
    unknown = set(decoded) - _TOP_KEYS
    if unknown:
        raise PolicyError(f"unknown policy element {sorted(unknown)[0]!r}")
    version = decoded.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyError("policy Version must be 2012-10-17 or 2008-10-17")
    if "Statement" not in decoded:
        raise PolicyError("policy has no Statement")
    raw = decoded["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    if len(items) > MAX_STATEMENTS:
        raise PolicyError(f"policy has more than {MAX_STATEMENTS} statements")
    return Policy(tuple(_statement(item, n) for n, item in enumerate(items, 1)), version)


def _check_shape(root: object) -> None:
    """Refuse non-JSON values, excessive nesting, node counts and text before interpreting."""
    nodes = chars = 0
    stack: list[tuple[object, int]] = [(root, 1)]
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if depth > MAX_DEPTH:
            raise PolicyError(f"policy document is nested deeper than {MAX_DEPTH} levels")
        if nodes > MAX_NODES:
            raise PolicyError(f"policy document has more than {MAX_NODES} values")
        if isinstance(value, str):
            chars += len(value)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise PolicyError("policy document has a non-string key")
                chars += len(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif not (value is None or isinstance(value, bool | int | float)):
            raise PolicyError(f"policy document holds a non-JSON value ({type(value).__name__})")
        if chars > MAX_TEXT_CHARS:
            raise PolicyError(f"policy document holds more than {MAX_TEXT_CHARS} characters of text")


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a number" if isinstance(value, int | float) and not isinstance(value, bool) else "a boolean"


def _statement(raw: object, n: int) -> Statement:
    where = f"statement {n}"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where} must be an object, not {_json_type(raw)}")
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown element {sorted(unknown)[0]!r}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}: Sid must be a string")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{where}: Effect must be Allow or Deny")
    actions, not_action = _either(raw, "Action", "NotAction", where, required=True)
    assert actions is not None  # required=True
    for action in actions:
        if not _ACTION.fullmatch(action):
            raise PolicyError(f"{where}: malformed action {action[:80]!r}")
    resources, not_resource = _either(raw, "Resource", "NotResource", where, required=False)
    principals, not_principal = _principals(raw, where)
    return Statement(
        effect=effect,
        actions=tuple(a.lower() for a in actions),
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principals=principals,
        not_principal=not_principal,
        conditional=_condition(raw.get("Condition"), where),
        sid=sid,
    )


def _either(
    raw: Mapping[str, Any], name: str, not_name: str, where: str, required: bool
) -> tuple[tuple[str, ...] | None, bool]:
    if name in raw and not_name in raw:
        raise PolicyError(f"{where} has both {name} and {not_name}")
    if name not in raw and not_name not in raw:
        if required:
            raise PolicyError(f"{where} has neither {name} nor {not_name}")
        return None, False
    negated = not_name in raw
    return _strings(raw[not_name if negated else name], f"{where}: {not_name if negated else name}"), negated


def _strings(value: object, what: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise PolicyError(f"{what} is an empty list")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise PolicyError(f"{what} must hold strings, not {_json_type(item)}")
        if not item:
            raise PolicyError(f"{what} holds an empty string")
        if len(item) > MAX_VALUE_CHARS:
            raise PolicyError(f"{what} holds a value longer than {MAX_VALUE_CHARS} characters")
        out.append(item)
    return tuple(out)


def _principals(raw: Mapping[str, Any], where: str) -> tuple[tuple[tuple[str, str], ...] | None, bool]:
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyError(f"{where} has both Principal and NotPrincipal")
    negated = "NotPrincipal" in raw
    value = raw.get("NotPrincipal" if negated else "Principal")
    if value is None:
        return None, False
    if value == "*":
        return (("AWS", "*"),), negated
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f'{where}: Principal must be "*" or a non-empty object')
    pairs: list[tuple[str, str]] = []
    for kind, ids in value.items():
        if kind not in _PRINCIPAL_TYPES:
            raise PolicyError(f"{where}: unknown principal type {kind[:40]!r}")
        pairs.extend((kind, ident) for ident in _strings(ids, f"{where}: Principal {kind}"))
    return tuple(pairs), negated


def _condition(value: object, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: Condition must be an object")
    for operator, block in value.items():
        if not isinstance(block, Mapping):
            raise PolicyError(f"{where}: Condition {operator[:40]!r} must map keys to values")
        for values in block.values():
            for item in values if isinstance(values, list) else [values]:
                if not isinstance(item, str | bool | int | float):
                    raise PolicyError(f"{where}: Condition values must be strings, numbers or booleans")
    return bool(value)
