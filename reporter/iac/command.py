"""The ``scan`` subcommand's arguments (reporter.cli hands ``reporter scan …`` here)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from reporter.cli import OneLineParser
from reporter.errors import UserError
from reporter.iac.scan import FORMATS, ScanOptions, scan
from reporter.settings import SEVERITIES, Settings, load_config


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="reporter scan",
        description="Run the governance rules on CloudFormation, SAM, CDK output (cdk.out/*.template.json) "
        "and Terraform plan JSON before they are deployed. Folders are searched.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="template, plan or folder")
    p.add_argument("--out", type=Path, default=Path("reports/iac"), help="output folder (reports/iac)")
    p.add_argument(
        "--format",
        default=",".join(FORMATS),
        help="comma-separated: sarif,json,csv, or none for the terminal summary only",
    )
    p.add_argument(
        "--fail-on", choices=SEVERITIES, help="exit 1 when an open finding at or above this exists"
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="exit 0 when no file given is a template or plan (for pre-commit, which passes every YAML/JSON)",
    )
    p.add_argument("--waivers", type=Path, help="waivers YAML file (resource: logical id or address)")
    p.add_argument("--config", type=Path, help="TOML file with [thresholds] (tag keys, caps)")
    p.add_argument(
        "--region", default="us-east-1", help="region the code is deployed to: the value of AWS::Region"
    )
    return p


def options_from_args(argv: Sequence[str]) -> ScanOptions:
    args = build_parser().parse_args(list(argv))
    settings = Settings()
    if args.config is not None:
        settings = load_config(args.config, settings)
    formats = tuple(f.strip() for f in str(args.format).split(",") if f.strip() and f.strip() != "none")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UserError(
            f"--format: unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}, none"
        )
    if args.waivers is not None and not args.waivers.is_file():
        raise UserError(f"--waivers: {args.waivers} not found")
    partition = (
        "aws-cn" if args.region.startswith("cn-") else "aws-us-gov" if "-gov-" in args.region else "aws"
    )
    return ScanOptions(
        paths=tuple(args.paths),
        out=args.out,
        formats=formats,
        region=args.region,
        partition=partition,
        waivers=args.waivers,
        fail_on=args.fail_on,
        allow_empty=args.allow_empty,
        settings=replace(settings),
    )


def main(argv: Sequence[str]) -> int:
    result = scan(options_from_args(argv))
    for problem in result.loaded.problems:
        print(f"reporter scan: {problem}", file=sys.stderr)
    print(result.summary, end="")
    return result.exit_code
