"""Preflight: every input that can be checked without AWS is checked before the first AWS call.

A crawl of a large organization takes an hour; a typo in the waivers file found after it wastes
that hour. The CLI therefore calls :func:`check_inputs` before it starts a crawl (or the demo
server): the waivers file against the real rule catalog, the output folder and the history root
(by writing a probe file: permission bits say nothing on a read-only mount or for root), the
``--compare`` run, the snapshot folder, the AWS profile name, the account and region filters, and
the PDF engine (Pango and fonts, by rendering a line) when ``pdf`` is among the formats. The config
file was already read into the Settings, with the same rules (one ``file:line`` per problem).

Problems are listed together, one line each, in one :class:`~reporter.errors.UserError` (exit 2).
The PDF engine is tried only when everything else is in order: importing WeasyPrint takes about a
second, and a bad waiver must be reported at once.

:func:`check_ready` is ``--check``: these checks, then the caller's identity and the organization's
account count, and nothing else.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from reporter.errors import UserError, problems_error
from reporter.settings import Settings, filter_problems

PROBE_HTML = "<p style=\"font-family: 'DejaVu Sans', sans-serif\">reporter preflight</p>"


def check_inputs(settings: Settings) -> None:
    """Raise one UserError listing every problem with the inputs of ``settings``; no AWS call."""
    problems = input_problems(settings)
    if problems:
        raise problems_error(problems)
    if "pdf" in settings.formats:
        problem = pdf_engine_problem()
        if problem:
            raise UserError(problem)


def input_problems(settings: Settings) -> list[str]:
    """Everything but the PDF engine, cheapest first; each problem is one line."""
    problems = filter_problems(settings)
    if settings.from_snapshot is not None and not (settings.from_snapshot / "manifest.json").is_file():
        problems.append(f"--from-snapshot: {settings.from_snapshot} holds no manifest.json (not evidence)")
    if not (settings.demo or settings.from_snapshot):
        problems += _profile_problems(settings.profile)
    out_problems = _writable(settings.out, "--out")
    problems += out_problems
    if settings.history is not None:
        problems += _writable(settings.history / "runs", "--history")
    elif not out_problems:  # the default root is the parent of --out: one line for one mistake
        problems += _writable(settings.out.resolve().parent / "runs", "history root (the parent of --out)")
    if settings.compare is not None:
        problems += _lines_of(_check_compare, settings.compare)
    if settings.waivers is not None:
        problems += _lines_of(_check_waivers, settings.waivers)
    return problems


def _lines_of(check: Callable[[Path], object], path: Path) -> list[str]:
    try:
        check(path)
    except UserError as exc:
        return str(exc).splitlines()
    return []


def _check_waivers(path: Path) -> None:
    from reporter.rules.catalog import load_catalog
    from reporter.waivers import load_waivers

    load_waivers(path, [rule.id for rule in load_catalog()])


def _check_compare(path: Path) -> None:
    from reporter.history.runs import load_run

    load_run(path)


def _profile_problems(profile: str | None) -> list[str]:
    name, where = (profile, "--profile") if profile else (os.environ.get("AWS_PROFILE"), "AWS_PROFILE")
    if not name:
        return []
    import botocore.session

    # botocore's Session, not boto3's: boto3's already fails on an unknown AWS_PROFILE
    profiles = botocore.session.Session().available_profiles
    if name in profiles:
        return []
    known = ", ".join(sorted(profiles)) or "none configured"
    return [f"{where}: AWS profile '{name}' not found (known: {known})"]


def _writable(path: Path, what: str) -> list[str]:
    """Whether ``path`` (a folder, created later if missing) can be written: a probe file is created
    and removed in it or, when it does not exist yet, in its nearest existing ancestor."""
    folder = path.absolute()
    while not folder.exists():
        if folder.parent == folder:
            return [f"{what}: {path}: no existing parent folder"]
        folder = folder.parent
    if not folder.is_dir():
        return [f"{what}: {path}: {folder} exists and is not a folder"]
    try:
        handle, probe = tempfile.mkstemp(prefix=".reporter-preflight-", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        return [f"{what}: cannot write in {folder}: {exc.strerror or exc}"]
    return []


def pdf_engine_problem() -> str | None:
    """Start WeasyPrint and render one line: catches a missing Pango (the import fails), a system
    without fonts and anything else that would stop the reports after the crawl. None when the
    engine works."""
    advice = "install Pango and fonts (scripts/demo names the packages) or leave pdf out of --format"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "No fonts configured": reported below, in one line
            from weasyprint import HTML
        if _system_fonts() == 0:
            # Not rendered: with no font at all Pango crashes the process (a segmentation fault).
            return f"--format pdf: fontconfig finds no font for the PDF engine; {advice}"
        pdf = HTML(string=PROBE_HTML).write_pdf(uncompressed_pdf=True)
    except Exception as exc:  # any failure here means the reports would fail after the crawl
        detail = " ".join(str(exc).split())[:200]
        return f"--format pdf: the PDF engine cannot start ({type(exc).__name__}: {detail}); {advice}"
    if not pdf or b"/FontFile" not in pdf:
        return f"--format pdf: the PDF engine embedded no font in a test page; {advice}"
    return None


def _system_fonts() -> int | None:
    """Fonts fontconfig offers (as WeasyPrint counts them when it warns), None if it cannot tell."""
    try:
        from weasyprint.text.ffi import ffi, fontconfig
    except (ImportError, AttributeError):  # a WeasyPrint without this module: the render decides
        return None
    config = ffi.gc(fontconfig.FcInitLoadConfigAndFonts(), fontconfig.FcConfigDestroy)
    fonts = fontconfig.FcConfigGetFonts(config, fontconfig.FcSetSystem)
    return 0 if fonts == ffi.NULL else int(fonts.nfont)


def check_ready(settings: Settings) -> str:
    """``--check``: the inputs (raises on a problem), then credentials, caller and account count."""
    check_inputs(settings)
    if settings.from_snapshot is not None:
        return "inputs: ok\n--from-snapshot reads no AWS account\nready"
    from reporter.aws.readiness import probe
    from reporter.aws.session import AwsAccess

    if settings.demo:
        import boto3

        from reporter.demo import DemoServer

        with DemoServer() as demo:
            session = boto3.Session(
                aws_access_key_id=demo.credentials["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=demo.credentials["AWS_SECRET_ACCESS_KEY"],
                aws_session_token=demo.credentials.get("AWS_SESSION_TOKEN"),
                region_name=demo.credentials.get("AWS_DEFAULT_REGION", "us-east-1"),
            )
            access = AwsAccess.from_session(session, endpoint_url=demo.endpoint_url, workers=settings.workers)
            readiness = probe(access, settings)
    else:
        access = AwsAccess.create(
            profile=settings.profile, endpoint_url=settings.endpoint_url, workers=settings.workers
        )
        readiness = probe(access, settings)
    calls = access.monitor.total()
    return "\n".join(["inputs: ok", *readiness.lines(), f"({calls} AWS calls made)", "ready"])
