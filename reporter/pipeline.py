"""One run, end to end: inventory (crawled, demo or snapshot) → judgement → scores → reports."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import boto3
import pandas as pd

from reporter import __version__
from reporter.acquire import Collected, collect
from reporter.errors import AfterCollectionFailed, UserError
from reporter.history import runs as history
from reporter.inventory import Inventory
from reporter.model import HistoryView, RunMeta
from reporter.outputs import fail_on_exit, write_findings_csv, write_findings_json
from reporter.progress import make_progress
from reporter.render.build import build_model
from reporter.render.model import ReportModel
from reporter.rules.derive import derive
from reporter.rules.engine import RULE_CATALOG_VERSION, catalog_frame, load_catalog, run_rules
from reporter.scoring import Scores, score
from reporter.settings import Settings
from reporter.snapshot import Manifest, read_snapshot, run_date_of, write_snapshot
from reporter.summary import summary_text
from reporter.waivers import apply_waivers, load_waivers

log = logging.getLogger("reporter")

EVIDENCE = "evidence"
DEMO_WAIVERS = "demo-waivers.yaml"


@dataclass
class RunOutcome:
    exit_code: int
    outputs: list[Path]
    summary: str
    model: ReportModel


@dataclass
class Evidence:
    inventory: Inventory
    manifest: Manifest
    manifest_sha256: str
    directory: Path


def run(settings: Settings) -> RunOutcome:
    if settings.from_snapshot is not None:
        inventory, manifest, digest = read_snapshot(settings.from_snapshot)
        # The evidence is judged as of the day it was collected, so a re-run reproduces the findings.
        directory = settings.from_snapshot
        settings = replace(settings, run_date=run_date_of(manifest), demo=manifest.demo)
        return evaluate(settings, Evidence(inventory, manifest, digest, directory))
    if settings.demo:
        return _run_demo(settings)
    collected = collect(settings, progress=make_progress())
    return _judge_saved(settings, _keep_evidence(settings, collected))


def _keep_evidence(settings: Settings, collected: Collected) -> Evidence:
    directory = settings.out / EVIDENCE
    manifest, digest = write_snapshot(collected.inventory, directory, collected.manifest)
    return Evidence(collected.inventory, manifest, digest, directory)


def _run_demo(settings: Settings) -> RunOutcome:
    from reporter.demo import DemoServer, demo_month_indexes

    months = demo_month_indexes(settings.demo_months)
    waivers = settings.waivers
    outcome: RunOutcome | None = None
    for position, month in enumerate(months):
        last = position == len(months) - 1
        # Earlier months land in sibling folders of --out, so the history root sees them as past runs.
        run_date = _months_before(settings.run_date, len(months) - 1 - position)
        out = settings.out if last else _sibling(settings.out, run_date)
        with DemoServer(month=month) as demo:
            if waivers is None and len(months) > 1:
                waivers = _write_demo_waivers(settings, demo.truth.account_named("orders-prod").account_id)
            session = boto3.Session(
                aws_access_key_id=demo.credentials["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=demo.credentials["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=demo.credentials.get("AWS_SESSION_TOKEN"),
                region_name=demo.credentials.get("AWS_DEFAULT_REGION", "us-east-1"),
            )
            month_settings = replace(
                settings,
                org=True,
                out=out,
                run_date=run_date,
                waivers=waivers,
                endpoint_url=demo.endpoint_url,
                regions=settings.regions or demo.truth.regions,
            )
            collected = collect(month_settings, session=session, progress=make_progress())
        # The demo simulates a month per run: its evidence carries the simulated run time, so the
        # history shows a monthly trend (the manifest says demo=true).
        shift = settings.run_date - run_date
        collected.manifest = replace(
            collected.manifest,
            started_at=(dt.datetime.fromisoformat(collected.manifest.started_at) - shift).isoformat(),
            finished_at=(dt.datetime.fromisoformat(collected.manifest.finished_at) - shift).isoformat(),
        )
        outcome = _judge_saved(month_settings, _keep_evidence(month_settings, collected))
    assert outcome is not None
    return outcome


def _judge_saved(settings: Settings, evidence: Evidence) -> RunOutcome:
    """:func:`evaluate` after a crawl: a failure says where the evidence is, so the crawl need not
    be repeated (the CLI prints the command that resumes from it)."""
    try:
        return evaluate(settings, evidence)
    except (Exception, KeyboardInterrupt) as exc:
        log.info("judging or rendering failed after collection", exc_info=True)
        raise AfterCollectionFailed(exc, evidence=evidence.directory, out=settings.out) from exc


def _write_demo_waivers(settings: Settings, orders_prod: str) -> Path:
    """The demo series' waivers file, in --out: its one waiver lapses before the last run.

    A single --demo run gets none, so the standard demo's verdicts do not depend on the date."""
    from reporter.demo.quarter import demo_waivers

    path = settings.out / DEMO_WAIVERS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(demo_waivers(orders_prod, settings.run_date), encoding="utf-8")
    return path


def _sibling(out: Path, run_date: dt.date) -> Path:
    """Earlier demo months: reports/2026-11 → reports/2026-09; reports/demo → reports/demo-2026-09."""
    if len(out.name) == 7 and out.name[4] == "-" and out.name.replace("-", "").isdigit():
        return out.parent / f"{run_date:%Y-%m}"
    return out.parent / f"{out.name}-{run_date:%Y-%m}"


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, min(day.day, 28))


def evaluate(settings: Settings, evidence: Evidence) -> RunOutcome:
    """Judge, score and render one run's evidence."""
    settings.out.mkdir(parents=True, exist_ok=True)
    # Judged from what was collected, with the current code, whether just crawled or years old.
    inventory = derive(evidence.inventory)
    catalog = load_catalog()
    waivers = load_waivers(settings.waivers, [r.id for r in catalog]) if settings.waivers else ()
    waivers_sha = hashlib.sha256(settings.waivers.read_bytes()).hexdigest() if settings.waivers else None
    findings = run_rules(inventory, settings, rules=catalog)
    findings, waiver_report = apply_waivers(findings, waivers, settings.run_date)
    scores = score(findings, settings)
    meta = _meta(settings, evidence, waivers_sha)
    view = _history(settings, findings, scores, meta, evidence)
    model = build_model(
        inventory=inventory,
        findings=findings,
        catalog=catalog_frame(),
        scores=scores,
        waivers=waiver_report,
        meta=meta,
        history=view,
    )
    outputs = _render(settings, model, findings, evidence.inventory)
    code = 1 if settings.fail_on and fail_on_exit(findings, settings.fail_on) else 0
    return RunOutcome(code, outputs, summary_text(model, outputs), model)


def _meta(settings: Settings, evidence: Evidence, waivers_sha: str | None) -> RunMeta:
    m = evidence.manifest
    return RunMeta(
        organization_id=m.organization_id,
        caller_arn=m.caller_arn,
        started_at=dt.datetime.fromisoformat(m.started_at),
        finished_at=dt.datetime.fromisoformat(m.finished_at),
        tool_version=__version__,
        schema_version=m.schema_version,
        rule_catalog_version=RULE_CATALOG_VERSION,
        accounts_targeted=len(m.accounts),
        regions=m.regions,
        evidence_manifest_sha256=evidence.manifest_sha256,
        evidence_files=dict(m.files),
        waivers_sha256=waivers_sha,
        period=f"{settings.run_date:%Y-%m}",
        demo=m.demo,
    )


def _history(
    settings: Settings, findings: pd.DataFrame, scores: Scores, meta: RunMeta, evidence: Evidence
) -> HistoryView | None:
    root = settings.history or settings.out.resolve().parent
    past = history.load_runs(root, warn=lambda line: log.warning("%s", line))
    run_id = history.run_id_for(meta.finished_at)
    past = [p for p in past if p.run_id != run_id]
    compare_to = history.load_run(settings.compare) if settings.compare else None
    view = history.history_view(findings, scores, meta, past, compare_to=compare_to)
    history.record_run(
        root, run_id, findings=findings, scores=scores, meta=meta, evidence_dir=evidence.directory
    )
    if settings.keep is not None:
        for gone in history.prune(root, settings.keep, current_run_id=run_id):
            log.warning("history: removed old run %s (--keep %d)", gone, settings.keep)
    return view


def _render(
    settings: Settings, model: ReportModel, findings: pd.DataFrame, inventory: Inventory
) -> list[Path]:
    out = settings.out
    written: list[Path] = []
    if "ocsf" in settings.formats or "asff" in settings.formats:
        from reporter.export import write_exports

        written += write_exports(
            settings.formats,
            out,
            findings=findings,
            inventory=inventory,
            meta=model.meta,
            history_root=settings.history or settings.out.resolve().parent,
            securityhub_region=settings.securityhub_region,
        )
    if "json" in settings.formats:
        written.append(write_findings_json(findings, out / "findings.json"))
    if "csv" in settings.formats:
        written.append(write_findings_csv(findings, out / "findings.csv"))
    if "xlsx" in settings.formats:
        from reporter.render.excel.workbook import write_workbook

        write_workbook(model, out / "compliance-report.xlsx")
        written.append(out / "compliance-report.xlsx")
    if "pdf" in settings.formats:
        from reporter.render.pdf.render import write_audit_report, write_scorecard

        write_audit_report(
            model,
            out / "audit-report.pdf",
            rows_per_rule=settings.pdf_rows_per_rule,
            weights=settings.weights,
        )
        write_scorecard(model, out / "scorecard.pdf")
        written += [out / "audit-report.pdf", out / "scorecard.pdf"]
    if not written:
        raise UserError("no output format selected")
    return written
