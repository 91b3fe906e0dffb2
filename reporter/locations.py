"""Where the rule queries and report templates are: the one place the code looks for them.

In a checkout (and an editable install) they are the top-level ``queries/`` and ``templates/``
folders beside the package; the wheel maps them into the package as ``reporter/queries`` and
``reporter/templates`` (see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def _folder(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"reporter's {name}/ folder is missing: neither {_PACKAGE / name} nor {_PACKAGE.parent / name}"
    )


def queries_dir() -> Path:
    """The folder with ``rules/*.sql`` and ``views/*.sql``."""
    return _folder("queries")


def templates_dir() -> Path:
    """The folder with the report templates (HTML and CSS)."""
    return _folder("templates")
