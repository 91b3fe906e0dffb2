"""Every rule of the catalog needs a test that asserted one of its rows to pass and another to fail.

The rule tests record what they assert (tests/rules/helpers.py, :func:`only`); when a session ran
every test of this directory and they all passed, a rule without both verdicts fails the session.
A run of a subset (a file, ``-k``, a node id) cannot know, so it does not check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reporter.rules.catalog import load_catalog
from tests.rules.helpers import ASSERTED, untested

HERE = Path(__file__).parent
_partial: list[str] = []


def pytest_deselected(items: list[pytest.Item]) -> None:
    if any(HERE in Path(item.path).parents for item in items):
        _partial.append("tests were deselected")


def pytest_collection_finish(session: pytest.Session) -> None:
    files = {Path(item.path) for item in session.items if Path(item.path).parent == HERE}
    if files != set(HERE.glob("test_*.py")):
        _partial.append("not every rule test module was collected")
    if any("::" in arg for arg in session.config.args):
        _partial.append("tests were selected by node id")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _partial or exitstatus != pytest.ExitCode.OK:
        return
    gaps = untested((r.id for r in load_catalog()), ASSERTED)
    if gaps:
        lines = [f"  {rule}: no test asserted a {' or '.join(missing)} row" for rule, missing in gaps.items()]
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "rules without a pass and a fail test (tests/rules/helpers.py only()):\n" + "\n".join(lines)
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
