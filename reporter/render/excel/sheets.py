"""The list sheets: Findings, Controls, Functions, Roles, Coverage, Waivers.

Inventory sheets (Functions, Roles, Coverage) show the known columns first, in an order a reader
scans, then any other column of the frame under a generated header: a collector that adds a
column shows up here without a change to the renderer.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from reporter.render.excel.style import colour_scale, data_bar, row_highlight
from reporter.render.excel.table import Column, Sheet, Table, write_table
from reporter.render.model import ReportModel
from reporter.settings import SEVERITIES

FINDINGS_STATUSES: tuple[str, ...] = ("fail", "error", "waived")
"""Statuses listed on the Findings sheet (pass rows are the evidence in findings.json/csv)."""

FINDINGS_COLUMNS: tuple[Column, ...] = (
    Column("severity", "Severity", "severity", 10),
    Column("status", "Status", "status", 9),
    Column("rule_id", "Rule", width=12),
    Column("title", "Control"),
    Column("guide_section", "Guide section"),
    Column("account_name", "Account"),
    Column("account_id", "Account id", width=14),
    Column("ou_path", "OU"),
    Column("region", "Region", width=15),
    Column("resource_type", "Resource type"),
    Column("resource_id", "Resource"),
    Column("resource_arn", "Resource ARN (console link)", "arn"),
    Column("reason", "Reason"),
    Column("remediation", "Remediation"),
    Column("waiver_id", "Waiver"),
    Column("waiver_expires", "Waiver expires", width=14),
)

_FUNCTION_COLUMNS: tuple[Column, ...] = (
    Column("account_id", "Account id", width=14),
    Column("account_name", "Account"),
    Column("region", "Region", width=15),
    Column("name", "Function"),
    Column("score", "Score", "score", 8),
    Column("grade", "Grade", "grade", 8),
    Column("runtime", "Runtime"),
    Column("package_type", "Package"),
    Column("architectures", "Architectures"),
    Column("memory_mb", "Memory (MB)", "int"),
    Column("timeout_s", "Timeout (s)", "int"),
    Column("code_size", "Code size (bytes)", "int"),
    Column("reserved_concurrency", "Reserved concurrency", "int"),
    Column("snap_start", "SnapStart"),
    Column("role_arn", "Execution role (console link)", "arn"),
    Column("vpc_id", "VPC"),
    Column("subnet_ids", "Subnets"),
    Column("security_group_ids", "Security groups"),
    Column("env_var_names", "Environment variable names"),
    Column("secret_env_var_names", "Secret-looking variable names"),
    Column("layers", "Layers"),
    Column("kms_key_arn", "KMS key"),
    Column("tracing_mode", "Tracing"),
    Column("dead_letter_target", "Dead-letter target"),
    Column("last_modified", "Last modified"),
    Column("tags", "Tags"),
    Column("function_arn", "Function ARN (console link)", "arn"),
)

_ROLE_COLUMNS: tuple[Column, ...] = (
    Column("account_id", "Account id", width=14),
    Column("role_name", "Role"),
    Column("functions", "Functions using it", "int"),
    Column("admin_like", "Admin-like", "bool"),
    Column("admin_policy_arns", "Admin policies attached"),
    Column("has_boundary", "Has boundary", "bool"),
    Column("permissions_boundary_arn", "Permissions boundary"),
    Column("wildcard_actions", "Wildcard actions"),
    Column("write_on_star", "Writes on *"),
    Column("privilege_escalation", "Privilege escalation"),
    Column("boundary_allows_iam", "Boundary lets through (iam:/kms:)"),
    Column("dead_grants", "Dead grants (blocked by boundary)"),
    Column("non_lambda_trust", "Trusted principals other than Lambda"),
    Column("trust_principals", "Trusted principals"),
    Column("attached_policy_arns", "Attached policies"),
    Column("inline_policy_names", "Inline policies"),
    Column("path", "Path"),
    Column("create_date", "Created (UTC)", "datetime", 17),
    Column("analysis_error", "Analysis error"),
    Column("role_arn", "Role ARN (console link)", "arn"),
)

_COVERAGE_COLUMNS: tuple[Column, ...] = (
    Column("status", "Status", "status", 9),
    Column("account_id", "Account id", width=14),
    Column("account_name", "Account"),
    Column("region", "Region", width=15),
    Column("collector", "Collector"),
    Column("error_code", "Error"),
    Column("message", "Message"),
    Column("tables", "Tables"),
    Column("resource_arn", "Resource (when one resource failed)", "arn"),
    Column("api_calls", "API calls", "int"),
    Column("seconds", "Seconds"),
)

_WAIVER_COLUMNS: tuple[Column, ...] = (
    Column("waiver_id", "Waiver"),
    Column("state", "State", "state", 10),
    Column("rule", "Rule", width=12),
    Column("account", "Account", width=14),
    Column("region", "Region", width=15),
    Column("resource", "Resource"),
    Column("reason", "Reason"),
    Column("owner", "Owner"),
    Column("expires", "Expires", width=12),
    Column("matched", "Findings waived", "int"),
)

_CONTROL_COLUMNS: tuple[Column, ...] = (
    Column("rule_id", "Rule", width=12),
    Column("title", "Control"),
    Column("severity", "Severity", "severity", 10),
    Column("guide_section", "Guide section"),
    Column("frameworks", "Frameworks / AWS controls"),
    Column("pass", "Pass", "int", 8),
    Column("fail", "Fail", "int", 8),
    Column("error", "Error", "int", 8),
    Column("waived", "Waived", "int", 8),
    Column("pass_rate", "Pass rate", "percent", 14),
    Column("remediation", "Remediation"),
)

_HIDDEN = frozenset({"trust_policy"})
"""Inventory columns left out: the raw trust policy JSON is in the evidence and summarised above."""


def _with_extras(known: Sequence[Column], frame: pd.DataFrame) -> list[Column]:
    """``known`` columns present in ``frame``, then the frame's other columns (generated headers)."""
    present = [c for c in known if c.key in frame.columns]
    seen = {c.key for c in known} | _HIDDEN
    extra = [Column(str(k), str(k).replace("_", " ").capitalize()) for k in frame.columns if k not in seen]
    return present + extra


def _rank(series: pd.Series, order: Sequence[str]) -> pd.Series:
    return series.astype(object).map({v: i for i, v in enumerate(order)}).fillna(len(order)).astype(int)


def findings_sheet(sheet: Sheet, model: ReportModel) -> Table:
    f = model.findings
    # object dtype: a frame without findings may carry null-typed Arrow columns, which isin rejects
    listed = f[f["status"].astype(object).isin(FINDINGS_STATUSES).to_numpy(dtype=bool)]
    listed = listed.assign(
        _sev=_rank(listed["severity"], SEVERITIES), _st=_rank(listed["status"], FINDINGS_STATUSES)
    )
    listed = listed.sort_values(["_sev", "_st", "account_name", "rule_id", "resource_id"], kind="stable")
    counts = ", ".join(f"{int((listed['status'] == s).sum()):,} {s}" for s in FINDINGS_STATUSES)
    return write_table(
        sheet,
        listed,
        FINDINGS_COLUMNS,
        title="Findings",
        subtitle=f"Every failing, errored and waived finding ({counts}); passes are in findings.csv / .json.",
    )


def controls_sheet(sheet: Sheet, model: ReportModel) -> Table:
    table = write_table(
        sheet,
        model.controls,
        _with_extras(_CONTROL_COLUMNS, model.controls),
        title="Controls",
        subtitle="The rule catalog with its results. Pass rate = pass / (pass + fail); errors never pass.",
    )
    if not table.empty and "pass_rate" in model.controls.columns:
        sheet.ws.conditional_formatting.add(table.data_range("pass_rate"), data_bar())
    return table


def functions_sheet(sheet: Sheet, model: ReportModel) -> Table:
    frame = model.functions.sort_values(
        [c for c in ("account_id", "region", "name") if c in model.functions.columns], kind="stable"
    )
    table = write_table(
        sheet,
        frame,
        _with_extras(_FUNCTION_COLUMNS, frame),
        title="Functions",
        subtitle="Every Lambda function found, with its score over the rules that judged it.",
    )
    if not table.empty and "score" in frame.columns:
        sheet.ws.conditional_formatting.add(table.data_range("score"), colour_scale())
    return table


def roles_sheet(sheet: Sheet, model: ReportModel) -> Table:
    frame = model.roles.sort_values(
        [c for c in ("account_id", "role_name") if c in model.roles.columns], kind="stable"
    )
    return write_table(
        sheet,
        frame,
        _with_extras(_ROLE_COLUMNS, frame),
        title="Roles",
        subtitle="Execution roles and their effective permissions (identity ∩ boundary, minus denies).",
    )


def coverage_sheet(sheet: Sheet, model: ReportModel) -> Table:
    cov = model.coverage
    frame = (
        cov.assign(_st=_rank(cov["status"], ("error", "skipped", "ok"))) if "status" in cov.columns else cov
    )
    keys = [c for c in ("_st", "account_id", "region", "collector") if c in frame.columns]
    frame = frame.sort_values(keys, kind="stable")
    errors = int((cov["status"].astype(object) == "error").sum()) if "status" in cov.columns else 0
    table = write_table(
        sheet,
        frame,
        _with_extras(_COVERAGE_COLUMNS, cov),
        title="Coverage",
        subtitle=f"Every unit of work and how it ended; {errors:,} errors (what they cover is judged "
        "'error', never 'pass').",
    )
    if not table.empty and "status" in cov.columns:
        first = f"${table.letter('status')}{table.first_row}"
        whole_rows = f"A{table.first_row}:{table.ref.split(':')[1]}"
        sheet.ws.conditional_formatting.add(whole_rows, row_highlight(first, "error"))
    return table


def waivers_sheet(sheet: Sheet, model: ReportModel) -> Table:
    w = model.waivers
    frame = w.assign(_st=_rank(w["state"], ("active", "expired", "unused"))) if "state" in w.columns else w
    frame = frame.sort_values([c for c in ("_st", "waiver_id") if c in frame.columns], kind="stable")
    return write_table(
        sheet,
        frame,
        _with_extras(_WAIVER_COLUMNS, w),
        title="Waivers",
        subtitle="Active waivers turn matching failures into 'waived'; expired ones no longer do; "
        "unused ones matched nothing.",
    )
