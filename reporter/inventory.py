"""Table schemas (the one source of columns and dtypes) and the Inventory container.

Every table is a pandas DataFrame whose columns are Arrow-backed (``pd.ArrowDtype``), so
nullable integers, lists and maps survive the trip to Parquet and DuckDB unchanged.
Build tables only through :func:`frame`; it orders columns and fills missing ones with nulls.

Conventions:
- ``account_id`` on every table; ``region`` on regional tables (``"global"`` for IAM units).
- Full ARNs; snake_case columns; list columns are ``list<string>``; tags are ``map<string,string>``.
- Policy documents are stored as canonical JSON strings (sorted keys, no spaces).
- Environment-variable values are never stored: only names, and the names that look like secrets.

Collected and derived: the crawl fills the collected tables and columns; the judgements that can be
recomputed from collected documents (:data:`DERIVED_TABLES`, :data:`DERIVED_COLUMNS`) are left null
by the crawl, kept out of the evidence, and computed when judging (:mod:`reporter.rules.derive`),
so judging a snapshot again always applies the current code. The secret-looking variable names
are the exception: they need the values, which are never stored, so they are judged at collection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

SCHEMA_VERSION = 2
"""Version of the evidence layout. 2: derived tables and columns are no longer stored,
``function_policies.statement`` holds each statement, files carry no pandas metadata."""

STR: pa.DataType = pa.string()
INT: pa.DataType = pa.int64()
FLOAT: pa.DataType = pa.float64()
BOOL: pa.DataType = pa.bool_()
TS: pa.DataType = pa.timestamp("us", tz="UTC")
STRS: pa.DataType = pa.list_(pa.string())
TAGS: pa.DataType = pa.map_(pa.string(), pa.string())

GLOBAL_REGION = "global"

SCHEMAS: dict[str, pa.Schema] = {
    # --- organization and crawl bookkeeping -------------------------------------------------
    "accounts": pa.schema(
        [
            ("account_id", STR),
            ("name", STR),
            ("email", STR),
            ("status", STR),  # ACTIVE | SUSPENDED | PENDING_CLOSURE
            ("ou_path", STR),  # OU names root to leaf, "Root/Workloads/Prod"
            ("ou_id", STR),  # the account's direct parent (ou-… or r-…)
            ("joined", TS),
            ("tags", TAGS),
            ("is_management", BOOL),
        ]
    ),
    "coverage": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),  # "global" for IAM
            ("collector", STR),  # a collector (lambda, config_compliance…), discover or assume
            ("tables", STRS),  # tables this row speaks for (filled when ok, unread when error)
            ("resource_arn", STR),  # null = the whole unit; set = one resource's rows in `tables`
            ("status", STR),  # ok | error | skipped
            ("error_code", STR),  # AccessDenied, ThrottlingException, NotImplemented, HTTP500, Timeout …
            ("message", STR),
            ("api_calls", INT),
            ("seconds", FLOAT),
        ]
    ),
    # --- Lambda ----------------------------------------------------------------------------
    "functions": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("function_arn", STR),  # unqualified ARN
            ("name", STR),
            ("runtime", STR),  # null for container images
            ("package_type", STR),  # Zip | Image
            ("architectures", STRS),
            ("memory_mb", INT),
            ("timeout_s", INT),
            ("code_size", INT),  # bytes, CodeSize
            ("last_modified", STR),  # as AWS reports it (ISO 8601)
            ("role_arn", STR),
            ("vpc_id", STR),  # null when not in a VPC; derived from the subnets where possible
            ("subnet_ids", STRS),
            ("security_group_ids", STRS),
            ("layers", STRS),
            ("env_var_names", STRS),
            ("secret_env_var_names", STRS),  # names whose name or value shape looks like a secret
            ("kms_key_arn", STR),
            ("tracing_mode", STR),
            ("dead_letter_target", STR),
            ("reserved_concurrency", INT),  # null = none set
            ("snap_start", STR),  # PublishedVersions | None
            ("tags", TAGS),
        ]
    ),
    "function_policies": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("function_arn", STR),
            ("sid", STR),
            ("effect", STR),
            ("principal", STR),  # canonical JSON of the Principal element
            ("action", STR),  # canonical JSON of Action (string or list)
            ("condition", STR),  # canonical JSON of Condition, null when absent
            ("statement", STR),  # canonical JSON of the whole statement as AWS returned it
            ("is_public", BOOL),  # derived: open principal without a pinning condition (LG-PUB-01)
            ("qualifier", STR),  # version or alias whose own policy holds it; null: the function's
        ]
    ),
    "function_urls": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("function_arn", STR),  # unqualified function ARN (even when the URL is on an alias)
            ("qualifier", STR),  # alias name or null
            ("url", STR),
            ("auth_type", STR),  # NONE | AWS_IAM
            ("cors_allow_origins", STRS),
        ]
    ),
    "provisioned_concurrency": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("function_arn", STR),  # unqualified
            ("qualifier", STR),  # version or alias
            ("requested", INT),
            ("allocated", INT),
            ("status", STR),
        ]
    ),
    "account_concurrency": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("concurrency_limit", INT),
            ("unreserved_concurrency", INT),
            ("reserved_total", INT),  # sum of reserved concurrency of the region's functions
        ]
    ),
    # --- IAM (global: region is "global") ---------------------------------------------------
    "roles": pa.schema(
        [
            ("account_id", STR),
            ("role_arn", STR),
            ("role_name", STR),
            ("path", STR),
            ("trust_policy", STR),  # canonical JSON
            ("permissions_boundary_arn", STR),  # null = no boundary
            ("attached_policy_arns", STRS),
            ("inline_policy_names", STRS),
            ("create_date", TS),
            # RoleId (AROA…): AWS Config names a role by it in its evaluations (LG-CFG-04)
            ("role_id", STR),
        ]
    ),
    "policy_documents": pa.schema(
        [
            ("account_id", STR),
            # managed: the policy ARN; inline: "<role_arn>#inline/<policy name>"
            ("policy_key", STR),
            ("policy_arn", STR),  # null for inline
            ("policy_name", STR),
            ("kind", STR),  # inline | customer_managed | aws_managed
            ("role_arn", STR),  # the owning role for inline policies, else null
            ("version_id", STR),  # default version of managed policies
            ("document", STR),  # canonical JSON; may be invalid JSON if AWS returned it so
            ("document_sha256", STR),
        ]
    ),
    # derived when judging (DERIVED_TABLES), by reporter.iam from roles + policy_documents
    "role_permissions": pa.schema(
        [
            ("account_id", STR),
            ("role_arn", STR),
            ("action", STR),  # lower-case service:action, or a pattern that could not be expanded
            ("resource", STR),
            ("access_level", STR),  # Read | List | Write | Permissions management | Tagging | Unknown
            ("source", STR),  # policy_key of the granting identity policy
            ("conditional", BOOL),
            ("blocked_by_boundary", BOOL),  # true = a dead grant (allowed by identity, not by boundary)
        ]
    ),
    "role_facts": pa.schema(
        [
            ("account_id", STR),
            ("role_arn", STR),
            ("admin_policy_arns", STRS),  # AWS-managed AdministratorAccess / PowerUserAccess attached
            ("admin_like", BOOL),  # effective permissions include *:* (unconditional)
            ("wildcard_actions", STRS),  # "<policy_key>: <action pattern>" unconditional wildcard grants
            ("write_on_star", STRS),  # effective Write/Permissions/Tagging actions on "*" beyond baseline
            ("privilege_escalation", STRS),  # names of escalation methods enabled
            ("has_boundary", BOOL),
            ("boundary_allows_iam", STRS),  # iam:/kms: actions the boundary lets through (empty = blocks all)
            ("dead_grants", STRS),  # actions allowed by identity policies but blocked by the boundary
            ("trust_principals", STRS),
            ("non_lambda_trust", STRS),  # trust principals other than lambda.amazonaws.com
            ("analysis_error", STR),  # set when a policy document could not be analysed
        ]
    ),
    # --- network ---------------------------------------------------------------------------
    "subnets": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("subnet_id", STR),
            ("vpc_id", STR),
            ("availability_zone", STR),
            ("route_table_id", STR),  # explicit association, else the VPC main table
            ("route_table_is_main", BOOL),
            ("default_route_target", STR),  # nat-…, igw-…, tgw-…, eni-…, pcx-… or null
            ("nat_default_route", BOOL),
            ("igw_default_route", BOOL),
        ]
    ),
    # --- AWS Config ------------------------------------------------------------------------
    "config_recorders": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("recorder_name", STR),
            ("recording", BOOL),
            ("all_supported", BOOL),
            ("include_global", BOOL),
            ("resource_types", STRS),
            ("last_status", STR),
            ("recording_strategy", STR),  # RecordingStrategy.useOnly; null on older recorders
            ("excluded_types", STRS),  # exclusionByResourceTypes.resourceTypes
        ]
    ),
    "config_rules": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("rule_name", STR),
            ("rule_arn", STR),
            ("source_owner", STR),  # AWS | CUSTOM_LAMBDA | CUSTOM_POLICY
            ("source_identifier", STR),
            ("input_parameters", STR),  # JSON string as AWS stores it
            ("scope_resource_types", STRS),
            ("scope_tag_key", STR),
            ("scope_tag_value", STR),
            ("state", STR),
        ]
    ),
    "config_compliance": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("rule_name", STR),
            ("resource_type", STR),
            ("resource_id", STR),
            ("compliance", STR),  # COMPLIANT | NON_COMPLIANT | NOT_APPLICABLE | INSUFFICIENT_DATA
            ("annotation", STR),
        ]
    ),
    # --- logs and monitoring ---------------------------------------------------------------
    "log_groups": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("log_group", STR),
            ("function_name", STR),  # from /aws/lambda/<name>
            ("retention_days", INT),  # null = never expires
            ("stored_bytes", INT),
        ]
    ),
    "alarms": pa.schema(
        [
            ("account_id", STR),
            ("region", STR),
            ("alarm_name", STR),
            ("function_name", STR),
            ("metric_name", STR),
            ("namespace", STR),
        ]
    ),
}

TABLES: tuple[str, ...] = tuple(SCHEMAS)

DERIVED_TABLES: dict[str, tuple[str, ...]] = {
    "role_permissions": ("roles", "policy_documents"),
    "role_facts": ("roles", "policy_documents"),
}
"""Tables computed when judging, and the collected tables each is computed from."""
DERIVED_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "function_policies": {"is_public": ("statement",)},
}
"""Columns of collected tables computed when judging: table → column → the columns it reads."""
COLLECTED_TABLES: tuple[str, ...] = tuple(t for t in TABLES if t not in DERIVED_TABLES)
"""The tables the crawl fills and the evidence stores."""


def collected_schema(table: str) -> pa.Schema:
    """The schema of ``table`` as the evidence stores it: without its derived columns."""
    schema = SCHEMAS[table]
    for name in DERIVED_COLUMNS.get(table, {}):
        schema = schema.remove(schema.get_field_index(name))
    return schema


def frame(table: str, records: Iterable[Mapping[str, Any]] = ()) -> pd.DataFrame:
    """A typed DataFrame for ``table`` from plain records; unknown keys are an error."""
    schema = SCHEMAS[table]
    rows = list(records)
    names = set(schema.names)
    for row in rows:
        extra = set(row) - names
        if extra:
            raise KeyError(f"{table}: unknown columns {sorted(extra)}")
    arrow = pa.Table.from_pylist([dict(r) for r in rows], schema=schema)
    return arrow.to_pandas(types_mapper=pd.ArrowDtype)


def to_arrow(table: str, df: pd.DataFrame) -> pa.Table:
    """The Arrow table of ``df`` under the table's schema (column order enforced)."""
    return pa.Table.from_pandas(df[list(SCHEMAS[table].names)], schema=SCHEMAS[table], preserve_index=False)


@dataclass
class Inventory:
    """All tables of one run. Missing tables read as empty frames with the right columns."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in SCHEMAS:
            raise KeyError(name)
        if name not in self.tables:
            self.tables[name] = frame(name)
        return self.tables[name]

    def __setitem__(self, name: str, df: pd.DataFrame) -> None:
        if name not in SCHEMAS:
            raise KeyError(name)
        missing = [c for c in SCHEMAS[name].names if c not in df.columns]
        if missing:
            raise KeyError(f"{name}: missing columns {missing}")
        self.tables[name] = df[list(SCHEMAS[name].names)]

    @classmethod
    def from_records(cls, records: Mapping[str, Iterable[Mapping[str, Any]]]) -> Inventory:
        inv = cls()
        for name in TABLES:
            inv.tables[name] = frame(name, records.get(name, ()))
        return inv

    def row_counts(self) -> dict[str, int]:
        return {name: len(self[name]) for name in TABLES}
