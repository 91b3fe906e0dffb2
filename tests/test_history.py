from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.errors import UserError
from reporter.findings import FINDING_COLUMNS, STATUSES
from reporter.history import runs as history
from reporter.history.compare import CHANGE_COUNTS, finding_changes
from reporter.model import DELTA_SCHEMA, TREND_SCHEMA, RunMeta
from reporter.scoring import Scores, score
from reporter.settings import Settings

UTC = dt.UTC
A, B, C, D = "111111111111", "222222222222", "333333333333", "444444444444"
NAMES = {A: "alpha", B: "beta", C: "gamma", D: "delta"}
SEVERITY = {"LG-IAM-01": "critical", "LG-PUB-01": "critical", "LG-COST-01": "high"}
OCT = dt.datetime(2026, 10, 28, 22, 17, tzinfo=UTC)
NOV = dt.datetime(2026, 11, 28, 22, 17, tzinfo=UTC)


def row(rule: str, account: str, resource: str, status: str, **extra: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = dict.fromkeys(FINDING_COLUMNS)
    base.update(
        rule_id=rule,
        title=f"title of {rule}",
        severity=SEVERITY[rule],
        status=status,
        account_id=account,
        account_name=NAMES[account],
        ou_path="Root/Prod",
        region="us-east-1",
        resource_type="function",
        resource_id=resource,
        resource_arn=f"arn:aws:lambda:us-east-1:{account}:function:{resource}",
        reason="because",
        guide_section="Security",
    )
    base.update(extra)
    return base


def frame(rows: list[dict[str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*FINDING_COLUMNS, "guide_section"])


def meta(finished: dt.datetime, organization: str = "o-test") -> RunMeta:
    return RunMeta(
        organization_id=organization,
        caller_arn="arn:aws:sts::999999999999:assumed-role/Audit/reporter",
        started_at=finished - dt.timedelta(minutes=5),
        finished_at=finished,
        tool_version="0.1.0",
        schema_version=1,
        rule_catalog_version="v1",
        accounts_targeted=4,
        regions=("us-east-1",),
        evidence_manifest_sha256="0" * 64,
        period=f"{finished:%Y-%m}",
    )


def scored(findings: pd.DataFrame) -> Scores:
    return score(findings, Settings())


def evidence(tmp_path: Path) -> Path:
    directory = tmp_path / "out" / "evidence"
    directory.mkdir(parents=True)
    (directory / "manifest.json").write_text('{"files": {}}\n')
    (directory / "functions.parquet").write_bytes(b"PAR1 not really")
    return directory


def record(root: Path, findings: pd.DataFrame, finished: dt.datetime, organization: str = "o-test") -> Path:
    return history.record_run(
        root,
        history.run_id_for(finished),
        findings=findings,
        scores=scored(findings),
        meta=meta(finished, organization),
        evidence_dir=None,
    )


def no_warnings(line: str) -> None:
    raise AssertionError(f"unexpected warning: {line}")


def simple(status: str = "fail") -> pd.DataFrame:
    return frame([row("LG-IAM-01", A, "f1", status), row("LG-IAM-01", A, "f2", "pass")])


# --- run ids -------------------------------------------------------------------------------------


def test_run_id_is_the_utc_finish_time_and_sorts_chronologically() -> None:
    assert history.run_id_for(NOV) == "2026-11-28T221700Z"
    assert history.run_id_for(NOV.replace(tzinfo=None)) == "2026-11-28T221700Z"  # naive = UTC
    plus5 = dt.timezone(dt.timedelta(hours=5))
    assert history.run_id_for(dt.datetime(2026, 11, 29, 3, 17, tzinfo=plus5)) == "2026-11-28T221700Z"

    rng = random.Random(7)
    zones = [UTC, plus5, dt.timezone(dt.timedelta(hours=-8))]
    start = dt.datetime(2025, 12, 31, 20, 0, tzinfo=UTC)
    times = [start + dt.timedelta(seconds=rng.randrange(0, 400 * 86400)) for _ in range(200)]
    times = [t.astimezone(rng.choice(zones)) for t in times]
    ids = [history.run_id_for(t) for t in times]
    assert sorted(ids) == [history.run_id_for(t) for t in sorted(times)]
    assert all(history.is_run_id(i) for i in ids)
    assert not history.is_run_id("2026-13-01T000000Z")
    assert not history.is_run_id("notes")


# --- record / load -------------------------------------------------------------------------------


def test_record_run_then_load_runs_round_trip(tmp_path: Path) -> None:
    root = tmp_path / "history"
    older = frame([row("LG-IAM-01", A, "f1", "fail"), row("LG-COST-01", B, "c1", "pass")])
    newer = frame(
        [
            row("LG-IAM-01", A, "f1", "pass"),
            row("LG-COST-01", B, "c1", "fail", region="global", resource_arn=None),
            row("LG-COST-01", B, "c2", "waived"),
        ]
    )
    source = evidence(tmp_path)
    record(root, older, OCT)
    path = history.record_run(
        root, "2026-11-28T221700Z", findings=newer, scores=scored(newer), meta=meta(NOV), evidence_dir=source
    )

    assert path == root / "runs" / "2026-11-28T221700Z"
    assert sorted(p.name for p in (root / "runs").iterdir()) == ["2026-10-28T221700Z", "2026-11-28T221700Z"]
    runs = history.load_runs(root, warn=no_warnings)
    assert [r.run_id for r in runs] == ["2026-10-28T221700Z", "2026-11-28T221700Z"]
    run = runs[1]
    expected = scored(newer)
    assert run.run_at == NOV
    assert run.period == "2026-11"
    assert run.organization == expected.organization
    accounts = run.accounts.set_index("account_id")
    for account_id, value in zip(expected.accounts["account_id"], expected.accounts["score"], strict=True):
        assert accounts.at[account_id, "score"] == value  # full precision survives JSON
        assert accounts.at[account_id, "account_name"] == NAMES[account_id]
    assert list(run.ous["ou_path"]) == ["Root", "Root/Prod"]
    assert set(run.rules["rule_id"]) == {"LG-IAM-01", "LG-COST-01"}
    stored = run.findings().astype(object).where(run.findings().notna(), None)
    original = newer[list(history.FINDINGS_COLUMNS)].astype(object).where(newer.notna(), None)
    pd.testing.assert_frame_equal(stored, original, check_dtype=False)
    # the evidence is kept byte for byte
    for name in ("manifest.json", "functions.parquet"):
        assert (path / "evidence" / name).read_bytes() == (source / name).read_bytes()
    assert not (runs[0].path / "evidence").exists()


def test_record_run_replaces_a_run_of_the_same_id_and_leaves_no_temp_folders(tmp_path: Path) -> None:
    root = tmp_path / "history"
    record(root, simple("fail"), NOV)
    record(root, simple("pass"), NOV)
    assert [p.name for p in (root / "runs").iterdir()] == ["2026-11-28T221700Z"]
    (run,) = history.load_runs(root, warn=no_warnings)
    assert set(run.findings()["status"]) == {"pass"}


def test_record_run_that_fails_midway_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "history"
    broken = simple().drop(columns=["resource_id"])
    with pytest.raises(ValueError, match="resource_id"):
        history.record_run(
            root,
            history.run_id_for(NOV),
            findings=broken,
            scores=scored(simple()),
            meta=meta(NOV),
            evidence_dir=None,
        )
    assert list((root / "runs").iterdir()) == []


def test_re_recording_a_run_from_its_own_kept_evidence(tmp_path: Path) -> None:
    # --from-snapshot <history>/runs/<id>/evidence re-renders the same run: same id, same folder
    root = tmp_path / "history"
    run_id = history.run_id_for(NOV)
    first = history.record_run(
        root,
        run_id,
        findings=simple(),
        scores=scored(simple()),
        meta=meta(NOV),
        evidence_dir=evidence(tmp_path),
    )
    kept = (first / "evidence" / "manifest.json").read_bytes()
    again = history.record_run(
        root,
        run_id,
        findings=simple(),
        scores=scored(simple()),
        meta=meta(NOV),
        evidence_dir=first / "evidence",
    )
    assert again == first
    assert (again / "evidence" / "manifest.json").read_bytes() == kept
    assert [p.name for p in (root / "runs").iterdir()] == [run_id]


def test_a_run_without_findings_round_trips(tmp_path: Path) -> None:
    root = tmp_path / "history"
    empty = frame([])
    record(root, empty, OCT)
    (run,) = history.load_runs(root, warn=no_warnings)
    assert run.organization.score is None
    assert run.accounts.empty
    view = history.history_view(simple(), scored(simple()), meta(NOV), [run])
    assert view is not None
    assert list(view.deltas["new"]) == [1]
    assert list(view.deltas["score_delta"].isna()) == [True]


def test_findings_removed_after_loading_is_a_user_error_not_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "history"
    run_dir = record(root, simple(), OCT)
    past = history.load_runs(root, warn=no_warnings)
    (run_dir / "findings.parquet").unlink()
    with pytest.raises(UserError, match="findings.parquet"):
        history.history_view(simple(), scored(simple()), meta(NOV), past)


def test_load_runs_without_history_is_empty(tmp_path: Path) -> None:
    assert history.load_runs(tmp_path / "nowhere", warn=no_warnings) == []


# --- corrupt, partial and foreign runs -----------------------------------------------------------


def _bad_json(run: Path) -> None:
    (run / "scores.json").write_text('{"format": "reporter-history-run", ')


def _no_scores(run: Path) -> None:
    (run / "scores.json").unlink()


def _no_findings(run: Path) -> None:
    (run / "findings.parquet").unlink()


def _truncated_findings(run: Path) -> None:
    data = (run / "findings.parquet").read_bytes()
    (run / "findings.parquet").write_bytes(data[: len(data) // 2])


def _no_evidence(run: Path) -> None:
    shutil.rmtree(run / "evidence")


def _wrong_types(run: Path) -> None:
    doc = json.loads((run / "scores.json").read_text())
    doc["accounts"][0]["score"] = "high"
    (run / "scores.json").write_text(json.dumps(doc))


def _newer_format(run: Path) -> None:
    doc = json.loads((run / "scores.json").read_text())
    doc["format_version"] = 99
    (run / "scores.json").write_text(json.dumps(doc))


def _renamed(run: Path) -> None:
    run.rename(run.with_name("2026-11-01T000000Z"))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_bad_json, "unreadable scores.json"),
        (_no_scores, "no scores.json"),
        (_no_findings, "no findings.parquet"),
        (_truncated_findings, "does not match the sha256"),
        (_no_evidence, "evidence/ folder is missing"),
        (_wrong_types, "malformed scores.json"),
        (_newer_format, "record format 99"),
        (_renamed, "scores.json names run 2026-11-28T221700Z"),
    ],
)
def test_an_unusable_run_is_skipped_with_one_warning_naming_it(
    tmp_path: Path, damage: Callable[[Path], None], reason: str
) -> None:
    root = tmp_path / "history"
    record(root, simple("fail"), OCT)
    newest = history.record_run(
        root,
        history.run_id_for(NOV),
        findings=simple("pass"),
        scores=scored(simple("pass")),
        meta=meta(NOV),
        evidence_dir=evidence(tmp_path),
    )
    damage(newest)
    warnings: list[str] = []

    runs = history.load_runs(root, warn=warnings.append)

    assert [r.run_id for r in runs] == ["2026-10-28T221700Z"]
    assert len(warnings) == 1
    assert "\n" not in warnings[0]
    assert "2026-11" in warnings[0]
    assert reason in warnings[0]
    # the comparison falls back to the last usable run: f1 failed in October, still fails now
    view = history.history_view(
        simple("fail"), scored(simple("fail")), meta(NOV + dt.timedelta(days=1)), runs
    )
    assert view is not None
    assert list(view.deltas["still_failing"]) == [1]


def test_stray_entries_warn_once_and_in_progress_writes_are_ignored(tmp_path: Path) -> None:
    root = tmp_path / "history"
    record(root, simple(), OCT)
    (root / "runs" / "notes.txt").write_text("hello")
    (root / "runs" / ".2026-11-28T221700Z.abcd.tmp").mkdir()
    warnings: list[str] = []
    runs = history.load_runs(root, warn=warnings.append)
    assert [r.run_id for r in runs] == ["2026-10-28T221700Z"]
    assert len(warnings) == 1
    assert "notes.txt" in warnings[0]


@pytest.mark.parametrize("kind", ["empty folder", "other folder", "missing", "a file"])
def test_compare_with_something_that_is_not_a_run_is_a_user_error(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    if kind == "empty folder":
        target.mkdir()
    elif kind == "other folder":
        target.mkdir()
        (target / "findings.json").write_text("[]")
    elif kind == "a file":
        target.write_text("x")
    with pytest.raises(UserError) as caught:
        history.load_run(target)
    assert str(target) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_compare_with_a_run_folder_loads_it(tmp_path: Path) -> None:
    run_dir = record(tmp_path / "history", simple(), OCT)
    copied = tmp_path / "elsewhere"
    shutil.copytree(run_dir, copied)  # --compare does not care what the folder is called
    assert history.load_run(copied).run_id == "2026-10-28T221700Z"


# --- deltas and trend ----------------------------------------------------------------------------


def test_deltas_new_fixed_still_failing_gone_and_account_gone(tmp_path: Path) -> None:
    root = tmp_path / "history"
    before = frame(
        [
            *(row("LG-IAM-01", A, f, "fail") for f in ("f1", "f2", "f3", "f6", "f7")),
            row("LG-IAM-01", A, "f5", "pass"),
            row("LG-COST-01", A, "c1", "fail"),
            row("LG-IAM-01", B, "g1", "fail"),
            row("LG-IAM-01", B, "g2", "pass"),
            row("LG-PUB-01", C, "x1", "fail"),
            row("LG-PUB-01", C, "y1", "pass", region="eu-west-1"),
            row("LG-IAM-01", C, "x2", "fail", region="eu-west-1"),
        ]
    )
    now = frame(
        [
            row("LG-IAM-01", A, "f1", "fail"),  # still failing
            row("LG-IAM-01", A, "f2", "pass"),  # fixed
            # f3 is gone: the account and rule were judged, the resource is no longer there
            row("LG-IAM-01", A, "f4", "fail"),  # new: did not exist before
            row("LG-IAM-01", A, "f5", "fail"),  # new: passed before
            row("LG-IAM-01", A, "f6", "waived"),  # accepted, not fixed
            row("LG-IAM-01", A, "f7", "error"),  # could not be judged
            row("LG-COST-01", A, "c1", "fail"),
            # account B left the organization
            # in C, failed collections left two rules nothing to judge (a regional and a global unit)
            row("LG-PUB-01", C, f"{C}/us-east-1", "error", resource_type="unit", resource_arn=None),
            row("LG-PUB-01", C, "y1", "pass", region="eu-west-1"),
            row(
                "LG-IAM-01",
                C,
                f"{C}/global",
                "error",
                region="global",
                resource_type="unit",
                resource_arn=None,
            ),
            row("LG-IAM-01", D, "z1", "fail"),  # a new account
        ]
    )
    record(root, before, OCT)
    view = history.history_view(now, scored(now), meta(NOV), history.load_runs(root, warn=no_warnings))

    assert view is not None
    deltas = view.deltas
    assert list(deltas.columns[: len(DELTA_SCHEMA)]) == DELTA_SCHEMA.names
    counts = ["new", "fixed", "still_failing", "gone", "newly_waived", "unjudged"]
    got = [
        (r.account_id, r.account_name, r.rule_id, *(int(getattr(r, c)) for c in counts))
        for r in deltas.itertuples(index=False)
    ]
    assert got == [
        (A, "alpha", "LG-COST-01", 0, 0, 1, 0, 0, 0),
        (A, "alpha", "LG-IAM-01", 2, 1, 1, 1, 1, 1),
        (B, "beta", "LG-IAM-01", 0, 0, 0, 1, 0, 0),  # named from the previous run
        (C, "gamma", "LG-IAM-01", 0, 0, 0, 0, 0, 1),  # not seen this time: neither fixed nor gone
        (C, "gamma", "LG-PUB-01", 0, 0, 0, 0, 0, 1),
        (D, "delta", "LG-IAM-01", 1, 0, 0, 0, 0, 0),
    ]
    # A: then 10 of 65 weight passing (5 critical + 1 high fail, 1 critical pass); now 10 of 45
    # (waived and error left out). C: then 10 of 30, now 10 of 10. B and D: scored only once.
    # A change is the difference of the shown scores: A 15.3 → 22.2, C 33.3 → 100.0.
    delta_a = 6.9
    delta_c = 66.7
    assert view.score_delta == pytest.approx({A: delta_a, C: delta_c})
    by_account = dict(zip(deltas["account_id"], deltas["score_delta"], strict=True))
    assert by_account[A] == pytest.approx(delta_a)
    assert by_account[C] == pytest.approx(delta_c)
    assert pd.isna(by_account[B]) and pd.isna(by_account[D])
    assert view.ou_score_delta.keys() == {"Root", "Root/Prod"}


def test_the_previous_run_is_the_newest_earlier_run_of_the_same_organization(tmp_path: Path) -> None:
    root = tmp_path / "history"
    sep = dt.datetime(2026, 9, 28, 22, 17, tzinfo=UTC)
    record(root, simple("pass"), sep)
    record(root, simple("fail"), OCT)
    record(root, simple("pass"), OCT + dt.timedelta(days=3), organization="o-other")
    record(root, simple("pass"), NOV + dt.timedelta(days=30))  # newer than this run: ignored
    past = history.load_runs(root, warn=no_warnings)
    now = simple("pass")

    view = history.history_view(now, scored(now), meta(NOV), past)

    assert view is not None
    assert list(view.deltas["fixed"]) == [1]  # against October, not September or December
    trend = view.trend
    assert list(trend.columns) == TREND_SCHEMA.names
    assert [str(t) for t in trend.dtypes] == [f"{f.type}[pyarrow]" for f in TREND_SCHEMA]
    org = trend[trend["scope"] == "organization"]
    assert list(org["run_id"]) == ["2026-09-28T221700Z", "2026-10-28T221700Z", "2026-11-28T221700Z"]
    assert list(org["score"]) == [100.0, 50.0, 100.0]
    assert list(org["run_at"]) == [sep, OCT, NOV]
    accounts = trend[trend["scope"] == "account"]
    assert list(accounts["scope_id"]) == [A, A, A]
    assert list(accounts["grade"]) == ["A", "F", "A"]


def test_compare_to_overrides_the_previous_run(tmp_path: Path) -> None:
    root = tmp_path / "history"
    sep = dt.datetime(2026, 9, 28, 22, 17, tzinfo=UTC)
    sep_dir = record(root, simple("pass"), sep)
    record(root, simple("fail"), OCT)
    now = simple("fail")
    past = history.load_runs(root, warn=no_warnings)

    view = history.history_view(now, scored(now), meta(NOV), past, compare_to=history.load_run(sep_dir))

    assert view is not None
    assert list(view.deltas["new"]) == [1]  # passing in September
    assert view.trend["run_id"].nunique() == 3


def test_no_view_without_an_earlier_run(tmp_path: Path) -> None:
    root = tmp_path / "history"
    now = simple()
    assert history.history_view(now, scored(now), meta(NOV), []) is None
    record(root, simple(), NOV + dt.timedelta(days=1))
    assert (
        history.history_view(now, scored(now), meta(NOV), history.load_runs(root, warn=no_warnings)) is None
    )


_STATUS = st.sampled_from([*STATUSES, None])  # None: the resource is absent from that run


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(["r1", "r2", "r3"]), _STATUS, _STATUS), max_size=25))
def test_every_open_finding_is_accounted_for(pairs: list[tuple[str, str | None, str | None]]) -> None:
    before = frame([row("LG-IAM-01", A, r, s) for r, s, _ in pairs if s is not None])
    now = frame([row("LG-IAM-01", A, r, s) for r, _, s in pairs if s is not None])
    changes = finding_changes(before, now)
    totals = changes[list(CHANGE_COUNTS)].sum()
    # one key with several rows counts once, as its most cautious status (fail first)
    open_before = before[before["status"] == "fail"]["resource_id"].nunique()
    open_now = now[now["status"] == "fail"]["resource_id"].nunique()
    gone_side = ["still_failing", "fixed", "gone", "newly_waived", "unjudged"]
    assert sum(int(totals[c]) for c in gone_side) == open_before
    assert int(totals["new"] + totals["still_failing"]) == open_now


# --- retention -----------------------------------------------------------------------------------


def _history_of(root: Path, months: int) -> list[str]:
    return [
        record(root, simple(), dt.datetime(2026, m, 28, 6, 0, tzinfo=UTC)).name for m in range(1, months + 1)
    ]


def test_prune_keeps_the_newest_runs(tmp_path: Path) -> None:
    root = tmp_path / "history"
    ids = _history_of(root, 5)
    (root / "runs" / "notes").mkdir()  # not a run: never touched
    deleted = history.prune(root, 2, current_run_id=ids[-1])
    assert deleted == [root / "runs" / i for i in ids[:3]]
    assert sorted(p.name for p in (root / "runs").iterdir()) == [*ids[3:], "notes"]


def test_prune_never_deletes_the_current_run_even_when_it_is_not_the_newest(tmp_path: Path) -> None:
    root = tmp_path / "history"
    ids = _history_of(root, 4)
    current = ids[1]  # e.g. an old snapshot re-rendered
    deleted = history.prune(root, 1, current_run_id=current)
    assert deleted == [root / "runs" / ids[0], root / "runs" / ids[2]]
    assert sorted(p.name for p in (root / "runs").iterdir()) == [current, ids[3]]
    assert [r.run_id for r in history.load_runs(root, warn=no_warnings)] == [current, ids[3]]


def test_prune_without_history_deletes_nothing(tmp_path: Path) -> None:
    assert history.prune(tmp_path, 1, current_run_id="2026-11-28T221700Z") == []
