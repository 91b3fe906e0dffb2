"""Command line: argument parsing, exit codes, progress display. No business logic here."""

from __future__ import annotations

import argparse
import logging
import os
import re
import shlex
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from reporter import __version__
from reporter.errors import AfterCollectionFailed, ReporterError, UserError
from reporter.settings import SEVERITIES, Settings, load_config

FORMATS = ("xlsx", "pdf", "json", "csv", "ocsf", "asff")
DEFAULT_FORMATS = ("xlsx", "pdf", "json", "csv")
EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_NOTHING_COLLECTED, EXIT_UNEXPECTED = 0, 1, 2, 3, 4

_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")

log = logging.getLogger("reporter")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but bad arguments are one line and exit code 2 (as argparse), without the usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UserError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="reporter",
        description="Audit AWS Lambda governance across an AWS Organization; write Excel, PDF, JSON reports. "
        "'reporter scan PATH...' runs the same rules on templates and plans before deploy.",
    )
    target = p.add_argument_group("what to read")
    target.add_argument("--org", action="store_true", help="every active account of the organization")
    target.add_argument("--accounts", help="comma-separated account ids (a subset of the organization)")
    target.add_argument("--ou", help="comma-separated OU ids or OU paths (e.g. Root/Workloads/Prod)")
    target.add_argument("--regions", help="comma-separated regions (default: every enabled region)")
    target.add_argument("--demo", action="store_true", help="crawl the embedded demo organization (offline)")
    target.add_argument(
        "--demo-months",
        type=int,
        default=1,
        metavar="N",
        help="with --demo: N monthly runs of an evolving organization, oldest first",
    )
    target.add_argument(
        "--from-snapshot",
        type=Path,
        metavar="DIR",
        help="re-judge and re-render an evidence snapshot without AWS access",
    )
    access = p.add_argument_group("access")
    access.add_argument(
        "--role-name", default=None, help="role assumed in each account (OrganizationAccountAccessRole)"
    )
    access.add_argument("--external-id", default=None)
    access.add_argument("--profile", default=None, help="AWS profile of the starting identity")
    access.add_argument("--workers", type=int, default=None, help="parallel units of work (16)")
    access.add_argument(
        "--executor",
        default=None,
        help="where units run: local (threads, default), dask-local[:N] (N worker processes here) "
        "or dask://HOST:PORT (a Dask scheduler); Dask needs pip install 'reporter[dask]'",
    )
    access.add_argument(
        "--worker-credentials",
        default=None,
        help="Dask workers' starting identity: handover (this process's short-lived keys, in memory; "
        "default) or chain (the workers' own standard credential chain)",
    )
    out = p.add_argument_group("output")
    out.add_argument("--out", type=Path, help="output directory (default: reports/<YYYY-MM>)")
    out.add_argument(
        "--format",
        default=",".join(DEFAULT_FORMATS),
        help=f"comma-separated, of {','.join(FORMATS)} (default {','.join(DEFAULT_FORMATS)})",
    )
    out.add_argument(
        "--securityhub-region",
        metavar="REGION",
        help="region findings.asff.json is imported into (default: the partition's first, us-east-1)",
    )
    out.add_argument("--waivers", type=Path, help="waivers YAML file")
    out.add_argument("--config", type=Path, help="TOML file with [thresholds], [weights] and crawl settings")
    out.add_argument(
        "--fail-on", choices=SEVERITIES, help="exit 1 when an open finding at or above this exists"
    )
    out.add_argument("--history", type=Path, help="history root (default: the parent folder of --out)")
    out.add_argument(
        "--compare", type=Path, help="compare with this earlier run folder instead of the previous"
    )
    out.add_argument("--keep", type=int, help="keep only the newest N runs in the history root")
    info = p.add_argument_group("information")
    info.add_argument(
        "--check",
        action="store_true",
        help="check every input, the credentials (sts:GetCallerIdentity) and the organization's account "
        "count, then exit without crawling",
    )
    info.add_argument("--list-rules", action="store_true", help="print the rule catalog and exit")
    info.add_argument(
        "--print-policy",
        action="store_true",
        help="print the least-privilege IAM policy the audit role needs and exit",
    )
    info.add_argument("--version", action="version", version=f"reporter {__version__}")
    info.add_argument("-v", "--verbose", action="store_true", help="log every unit")
    return p


def _csv(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(v.strip() for v in value.split(",") if v.strip())


def settings_from_args(args: argparse.Namespace) -> Settings:
    base = Settings()
    if args.config is not None:
        base = load_config(args.config, base)
    modes = [bool(args.org or args.accounts or args.ou), bool(args.demo), args.from_snapshot is not None]
    if sum(modes) > 1:
        raise UserError("choose one of --org/--accounts/--ou, --demo or --from-snapshot")
    if sum(modes) == 0:
        raise UserError("nothing to do: give --org, --accounts, --ou, --demo or --from-snapshot (see --help)")
    formats = _csv(args.format)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UserError(
            f"--format: unknown format(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}"
        )
    if args.demo_months < 1 or args.demo_months > 24:
        raise UserError("--demo-months must be between 1 and 24")
    if args.demo_months > 1 and not args.demo:
        raise UserError("--demo-months goes with --demo")
    if args.keep is not None and args.keep < 1:
        raise UserError("--keep must be at least 1")
    # Monthly folders side by side make reports/ the history root by default.
    out_dir: Path = args.out or Path("reports") / f"{base.run_date:%Y-%m}"
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out: {out_dir} exists and is not a directory")
    if args.waivers is not None and not args.waivers.is_file():
        raise UserError(f"--waivers: {args.waivers} not found")
    regions = _csv(args.regions) or base.regions
    if args.securityhub_region is not None and not _REGION.fullmatch(args.securityhub_region):
        raise UserError(f"--securityhub-region: not a region name: {args.securityhub_region!r}")
    return replace(
        base,
        org=bool(args.org),
        demo=bool(args.demo),
        accounts=_csv(args.accounts),
        ous=_csv(args.ou),
        regions=regions,
        role_name=args.role_name or base.role_name,
        external_id=args.external_id or base.external_id,
        profile=args.profile,
        workers=args.workers if args.workers is not None else base.workers,
        executor=args.executor or base.executor,
        worker_credentials=args.worker_credentials or base.worker_credentials,
        out=out_dir,
        formats=formats,
        securityhub_region=args.securityhub_region,
        from_snapshot=args.from_snapshot,
        waivers=args.waivers,
        fail_on=args.fail_on,
        history=args.history,
        compare=args.compare,
        keep=args.keep,
        demo_months=args.demo_months,
    )


CARRIED_OVER: tuple[tuple[str, str], ...] = (
    ("format", "--format"),
    ("waivers", "--waivers"),
    ("config", "--config"),
    ("fail_on", "--fail-on"),
    ("history", "--history"),
    ("compare", "--compare"),
    ("keep", "--keep"),
)
"""Options that mean the same to a re-run from the evidence; the targets and the access options
(--org, --regions, --role-name, …) are what the evidence already answered."""


def resume_command(args: argparse.Namespace, evidence: Path, out: Path) -> str:
    """The command that judges and renders ``evidence`` into ``out`` with the user's other options,
    shell-quoted, with absolute paths so it works from any folder."""
    words = [_python(), "-m", "reporter", "--from-snapshot", str(evidence.absolute()), "--out"]
    words.append(str(out.absolute()))
    for dest, flag in CARRIED_OVER:
        value = getattr(args, dest, None)
        if value is None or (dest == "format" and value == build_parser().get_default("format")):
            continue
        words += [flag, str(value.absolute() if isinstance(value, Path) else value)]
    if getattr(args, "verbose", False):
        words.append("--verbose")
    return shlex.join(words)


def _python() -> str:
    """``python`` when that is this interpreter on the PATH, else this interpreter's full path."""
    found = shutil.which("python")
    try:
        if found and os.path.samefile(found, sys.executable):
            return "python"
    except OSError:
        pass
    return sys.executable


def resume_hint(args: argparse.Namespace, exc: AfterCollectionFailed) -> str:
    return (
        f"reporter: the evidence of the crawl is saved in {exc.evidence}; to judge and render it again "
        f"without crawling, run:\n  {resume_command(args, exc.evidence, exc.out)}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr)
    # WeasyPrint warns per glyph and per font subset; the PDF tests check what the reports contain.
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        argv = list(sys.argv[1:] if argv is None else argv)
        if argv[:1] == ["scan"]:  # reporter scan PATH...: infrastructure code before deploy (reporter/iac)
            from reporter.iac.command import main as scan_main

            return scan_main(argv[1:])
        args = build_parser().parse_args(argv)
        # Crawl progress lines (plain log lines off a terminal) show by default; -v shows more.
        logging.getLogger("reporter.crawl").setLevel(logging.INFO)
        if args.verbose:
            logging.getLogger("reporter").setLevel(logging.INFO)
        if args.list_rules:
            from reporter.rules.engine import format_catalog

            print(format_catalog())
            return EXIT_OK
        if args.print_policy:
            from reporter.audit_policy import audit_policy_json

            print(audit_policy_json(args.role_name or Settings().role_name))
            return EXIT_OK
        settings = settings_from_args(args)
        # Before the pipeline is even imported: a bad input is reported in well under a second.
        from reporter.preflight import check_inputs, check_ready

        if args.check:
            print(check_ready(settings))
            return EXIT_OK
        check_inputs(settings)
        from reporter.pipeline import run

        outcome = run(settings)
        print(outcome.summary)
        return outcome.exit_code
    except ReporterError as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"reporter: error: {line}", file=sys.stderr)
        if isinstance(exc, AfterCollectionFailed):
            print(resume_hint(args, exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("reporter: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # never 1 (that means findings at or above --fail-on); -v logs the traceback
        log.info("unexpected failure", exc_info=True)
        text = str(exc).replace("\n", " ").strip()[:300]
        print(
            f"reporter: unexpected error: {type(exc).__name__}: {text} (exit 4; -v for details)",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED
