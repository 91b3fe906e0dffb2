"""A small accumulator that turns function-by-function declarations into an AccountSpec.

Catalogs (the standard demo, the scaled benchmark organization) describe functions one line
each; the builder gives every function its own execution role unless told to share one.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from reporter.demo import policies
from reporter.demo.spec import (
    AccountSpec,
    ConfigSpec,
    FunctionSpec,
    NetworkSpec,
    Pairs,
    RoleSpec,
)

ROLE_NAME_MAX = 64


def role_name_for(function_name: str) -> str:
    """``<function>-role``, shortened with a stable hash when IAM's 64-character limit needs it."""
    name = f"{function_name}-role"
    if len(name) <= ROLE_NAME_MAX:
        return name
    digest = hashlib.sha256(function_name.encode()).hexdigest()[:8]
    return f"{function_name[: ROLE_NAME_MAX - 14]}-{digest}-role"


class AccountBuilder:
    def __init__(
        self,
        key: str,
        name: str,
        ou_path: str,
        *,
        tags: Pairs = (),
        app: str = "app",
        **flags: Any,
    ) -> None:
        self.key = key
        self.name = name
        self.ou_path = ou_path
        self.tags = tags
        self.app = app
        self.flags = flags
        self.roles: dict[str, RoleSpec] = {}
        self.functions: list[FunctionSpec] = []
        self.networks: list[NetworkSpec] = []
        self.config: list[ConfigSpec] = []

    def role(self, name: str, archetype: str, trusted_account_key: str = "") -> str:
        if name not in self.roles:
            self.roles[name] = policies.role(name, archetype, self.app, trusted_account_key)
        elif self.roles[name].archetype != archetype:
            raise ValueError(f"role {name} declared as {self.roles[name].archetype} and {archetype}")
        return name

    def fn(
        self,
        name: str,
        region: str,
        archetype: str = "clean",
        *,
        role: str | None = None,
        trusted_account_key: str = "",
        **fields: Any,
    ) -> FunctionSpec:
        role_name = self.role(role or role_name_for(name), archetype, trusted_account_key)
        env: Pairs = fields.pop("env", ())
        if not any(k == "LOG_LEVEL" for k, _ in env):
            env = (("LOG_LEVEL", "INFO"), *env)
        spec = FunctionSpec(name=name, region=region, role=role_name, env=env, **fields)
        self.functions.append(spec)
        return spec

    def change(self, name: str, **fields: Any) -> None:
        """Alter an already declared function (month-by-month history)."""
        for i, spec in enumerate(self.functions):
            if spec.name == name:
                self.functions[i] = replace(spec, **fields)
                return
        raise KeyError(name)

    def recast(self, name: str, archetype: str, *, role: str | None = None) -> None:
        """Give a declared function another execution role (month-by-month history): its own role
        as ``archetype``, or the role ``role`` of that archetype, which other functions may share."""
        spec = next((f for f in self.functions if f.name == name), None)
        if spec is None:
            raise KeyError(name)
        if role is None:
            if any(f.role == spec.role and f.name != name for f in self.functions):
                raise ValueError(f"{name}'s role {spec.role} is shared: recast it with a role of its own")
            # Replaced in place, so the account's roles keep their order.
            self.roles[spec.role] = policies.role(spec.role, archetype, self.app)
        else:
            self.role(role, archetype)
        self.change(name, role=role or spec.role)

    def drop(self, name: str) -> None:
        self.functions = [f for f in self.functions if f.name != name]

    def build(self) -> AccountSpec:
        used = {f.role for f in self.functions}
        return AccountSpec(
            key=self.key,
            name=self.name,
            email=f"aws+{self.key}@example.com",
            ou_path=self.ou_path,
            tags=self.tags,
            policies=policies.customer_policies(),
            roles=tuple(r for n, r in self.roles.items() if n in used),
            networks=tuple(self.networks),
            config=tuple(self.config),
            functions=tuple(self.functions),
            **self.flags,
        )
