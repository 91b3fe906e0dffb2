"""CloudFormation intrinsic functions, evaluated as far as the template says, and no further.

A value that is unknown until deploy (a ``Ref`` to a parameter without a default, ``Fn::ImportValue``,
``AWS::StackName``) becomes :class:`Unresolved` with a reason; callers turn it into ``error`` rows
("unresolved"), never into a guess.

What *is* resolved, and why it is not a guess:

- parameters with a ``Default`` (what CloudFormation deploys when no value is passed);
- ``Fn::Sub``/``Fn::Join``/``Fn::Select``/``Fn::Split``/``Fn::If``/``Fn::FindInMap`` over known parts;
- ``Ref``/``Fn::GetAtt`` to a resource of the same template: a stable token naming that resource
  (a function's or role's logical id, an ARN built from it), so that two references to one resource
  compare equal and references to two resources differ, which is all the rules ask of them;
- the pseudo parameters ``AWS::AccountId``, ``AWS::Region`` and ``AWS::Partition``: the account and
  region the scan stands in for (one placeholder account per file, ``--region``), used consistently;
- ``Fn::GetAZs``: placeholders ``<region> AZ #n``, distinct per index as real zones are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Unresolved:
    """A value unknown until deploy; ``reason`` says which reference (never the value of anything)."""

    reason: str


NO_VALUE = object()
"""``Ref: AWS::NoValue``: the property is dropped."""

_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
_UNKNOWN_PSEUDO = ("AWS::StackName", "AWS::StackId", "AWS::NotificationARNs")

ResourceRef = Callable[[str, str | None], Any]
"""(logical id, attribute or None for Ref) → token, Unresolved, or None when not a resource."""


class Resolver:
    """Evaluates intrinsics of one template."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        account: str,
        region: str,
        partition: str,
        resource_ref: ResourceRef,
    ) -> None:
        self.parameters: Mapping[str, Any] = _mapping(template.get("Parameters"))
        self.mappings: Mapping[str, Any] = _mapping(template.get("Mappings"))
        self.conditions: Mapping[str, Any] = _mapping(template.get("Conditions"))
        self.pseudo = {
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
        }
        self.region = region
        self.resource_ref = resource_ref
        self._condition_cache: dict[str, Any] = {}

    # --- values -------------------------------------------------------------------------------
    def value(self, node: Any) -> Any:
        """``node`` with every intrinsic evaluated; Unresolved where one cannot be (lists and maps
        keep their resolved parts, so one unknown element does not hide the others)."""
        if isinstance(node, Mapping):
            if len(node) == 1:
                (key, arg), *_ = node.items()
                if key == "Ref":
                    return self.ref(arg)
                if isinstance(key, str) and (key.startswith("Fn::") or key == "Condition"):
                    return self._function(key, arg)
            out: dict[str, Any] = {}
            for k, v in node.items():
                resolved = self.value(v)
                if resolved is not NO_VALUE:
                    out[str(k)] = resolved
            return out
        if isinstance(node, list):
            items = [self.value(v) for v in node]
            return [v for v in items if v is not NO_VALUE]
        if isinstance(node, str):
            return str(node)  # drop the decoder's node class
        return node

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            return Unresolved(f"Ref to {name!r} is not a name")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in _UNKNOWN_PSEUDO:
            return Unresolved(f"{name} is known only at deploy")
        if name in self.parameters:
            spec = self.parameters[name]
            if isinstance(spec, Mapping) and "Default" in spec:
                default = self.value(spec["Default"])
                kind = str(spec.get("Type", ""))
                if kind.startswith("List<") or kind == "CommaDelimitedList":
                    return [p.strip() for p in str(default).split(",")] if str(default) else []
                return default
            return Unresolved(f"parameter {name} has no default (its value is given at deploy)")
        found = self.resource_ref(name, None)
        if found is None:
            return Unresolved(f"Ref to {name}, which is neither a parameter nor a resource of this template")
        return found

    def is_noecho_parameter(self, node: Any) -> bool:
        """``node`` is a Ref to a NoEcho parameter: the template itself says it holds a secret."""
        if isinstance(node, Mapping) and len(node) == 1 and "Ref" in node:
            spec = self.parameters.get(str(node["Ref"]))
            return isinstance(spec, Mapping) and str(spec.get("NoEcho", "")).lower() == "true"
        return False

    # --- functions ----------------------------------------------------------------------------
    def _function(self, key: str, arg: Any) -> Any:
        handler = _FUNCTIONS.get(key)
        if handler is None:
            return Unresolved(f"{key} is evaluated only at deploy")
        return handler(self, arg)

    def _sub(self, arg: Any) -> Any:
        if isinstance(arg, list) and len(arg) == 2:
            text, variables = arg[0], self.value(arg[1])
            if not isinstance(variables, Mapping):
                return Unresolved("Fn::Sub variables are not a map")
        else:
            text, variables = arg, {}
        if not isinstance(text, str):
            return Unresolved("Fn::Sub template is not a string")
        missing: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in variables:
                value = variables[name]
            elif "." in name and name.split(".", 1)[0] not in self.parameters:
                logical, attribute = name.split(".", 1)
                value = self._get_att([logical, attribute])
            else:
                value = self.ref(name)
            if isinstance(value, Unresolved):
                missing.append(value.reason)
                return match.group(0)
            if isinstance(value, list | dict):
                missing.append(f"${{{name}}} is not a string")
                return match.group(0)
            return str(value)

        out = _SUB_VAR.sub(substitute, text).replace("${!", "${")
        if missing:
            return Unresolved("; ".join(dict.fromkeys(missing)))
        return out

    def _get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2:
            return Unresolved("Fn::GetAtt needs a resource and an attribute")
        logical, attribute = str(arg[0]), self.value(arg[1])
        if isinstance(attribute, Unresolved):
            return attribute
        found = self.resource_ref(logical, str(attribute))
        if found is None:
            return Unresolved(f"Fn::GetAtt {logical}.{attribute}: no such resource in this template")
        return found

    def _join(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unresolved("Fn::Join needs a delimiter and a list")
        delimiter, items = self.value(arg[0]), self.value(arg[1])
        if isinstance(items, Unresolved):
            return items
        bad = [i for i in items if isinstance(i, Unresolved)] if isinstance(items, list) else []
        if bad:
            return Unresolved("; ".join(dict.fromkeys(b.reason for b in bad)))
        if not isinstance(items, list) or not isinstance(delimiter, str):
            return Unresolved("Fn::Join over something that is not a list")
        return delimiter.join(str(i) for i in items)

    def _select(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unresolved("Fn::Select needs an index and a list")
        index, items = self.value(arg[0]), self.value(arg[1])
        for part in (index, items):
            if isinstance(part, Unresolved):
                return part
        try:
            return items[int(index)]
        except (TypeError, ValueError, IndexError, KeyError):
            return Unresolved(f"Fn::Select index {index} is out of range")

    def _split(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unresolved("Fn::Split needs a delimiter and a string")
        delimiter, text = self.value(arg[0]), self.value(arg[1])
        if isinstance(text, Unresolved):
            return text
        return str(text).split(str(delimiter))

    def _get_azs(self, arg: Any) -> Any:
        region = self.value(arg) or self.region
        if isinstance(region, Unresolved):
            return region
        return [f"{region} AZ #{i}" for i in range(1, 7)]

    def _find_in_map(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) < 3:
            return Unresolved("Fn::FindInMap needs a map, a key and a second key")
        keys = [self.value(a) for a in arg[:3]]
        for key in keys:
            if isinstance(key, Unresolved):
                return key
        try:
            return self.value(self.mappings[keys[0]][keys[1]][keys[2]])
        except (KeyError, TypeError):
            return Unresolved(
                f"Fn::FindInMap {keys[0]}/{keys[1]}/{keys[2]} is not in the template's Mappings"
            )

    def _if(self, arg: Any) -> Any:
        if not isinstance(arg, list) or len(arg) != 3:
            return Unresolved("Fn::If needs a condition and two values")
        chosen = self.condition(str(arg[0]))
        if isinstance(chosen, Unresolved):
            return chosen
        return self.value(arg[1] if chosen else arg[2])

    # --- conditions ---------------------------------------------------------------------------
    def condition(self, name: str) -> bool | Unresolved:
        if name not in self._condition_cache:
            self._condition_cache[name] = Unresolved(f"condition {name} refers to itself")
            spec = self.conditions.get(name)
            result = (
                self._truth(spec)
                if spec is not None
                else Unresolved(f"condition {name} is not defined in this template")
            )
            self._condition_cache[name] = result
        result = self._condition_cache[name]
        return result if isinstance(result, bool | Unresolved) else Unresolved(f"condition {name}")

    def _truth(self, node: Any) -> bool | Unresolved:
        if isinstance(node, Mapping) and len(node) == 1:
            (key, arg), *_ = node.items()
            if key == "Condition":
                return self.condition(str(arg))
            if key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
                a, b = self.value(arg[0]), self.value(arg[1])
                for side in (a, b):
                    if isinstance(side, Unresolved):
                        return side
                return str(a) == str(b)
            if key == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
                inner = self._truth(arg[0])
                return inner if isinstance(inner, Unresolved) else not inner
            if key in ("Fn::And", "Fn::Or") and isinstance(arg, list):
                parts = [self._truth(a) for a in arg]
                known = [p for p in parts if isinstance(p, bool)]
                # a known False decides an And, a known True an Or, whatever the unknown parts are
                if key == "Fn::And" and False in known:
                    return False
                if key == "Fn::Or" and True in known:
                    return True
                unknown = [p for p in parts if isinstance(p, Unresolved)]
                if unknown:
                    return unknown[0]
                return all(known) if key == "Fn::And" else any(known)
        return Unresolved("a condition that is not Fn::Equals/And/Or/Not/Condition")

    def _condition_fn(self, arg: Any) -> Any:
        return self.condition(str(arg))


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Fn::Sub": Resolver._sub,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Join": Resolver._join,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::GetAZs": Resolver._get_azs,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::If": Resolver._if,
    "Fn::Base64": lambda r, arg: r.value(arg),
    "Condition": Resolver._condition_fn,
}


def _mapping(node: Any) -> Mapping[str, Any]:
    return node if isinstance(node, Mapping) else {}


def first_unresolved(value: Any) -> Unresolved | None:
    """The first Unresolved anywhere inside ``value`` (lists and maps searched), else None."""
    if isinstance(value, Unresolved):
        return value
    if isinstance(value, Mapping):
        for item in value.values():
            found = first_unresolved(item)
            if found:
                return found
    if isinstance(value, list):
        for item in value:
            found = first_unresolved(item)
            if found:
                return found
    return None
