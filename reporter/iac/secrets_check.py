"""Environment variables of a template, judged as a crawl judges them (reporter.secrets): only the
verdict and the variable *name* leave here; values are read from the template and dropped.

A value known only at deploy is judged by its name alone when the name says "secret"; a ``Ref`` to
a ``NoEcho`` parameter is a secret by the template's own word (it lands in plain text in the
function's configuration); anything else unknown is unresolved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reporter.iac.resolve import Resolver, Unresolved
from reporter.secrets import name_looks_secret, secret_like

if TYPE_CHECKING:
    from reporter.iac.build import Builder


def judge_variables(
    variables: Mapping[str, Any],
    raw: Mapping[str, Any],
    resolver: Resolver | None,
    function_arn: str,
    builder: Builder,
) -> list[str]:
    """The names of ``variables`` that look like secrets (values: resolved, or Unresolved)."""
    names: list[str] = []
    for name, value in variables.items():
        if isinstance(value, Unresolved):
            noecho = resolver is not None and resolver.is_noecho_parameter(raw.get(name))
            if noecho or name_looks_secret(name):
                names.append(name)
            else:
                builder.unknown(
                    function_arn,
                    "column",
                    "secret_env_var_names",
                    f"environment variable {name}: {value.reason}",
                )
        elif isinstance(value, str | int | float | bool):
            if secret_like(name, str(value)):
                names.append(name)
        elif name_looks_secret(name):
            names.append(name)
    return sorted(names)
