"""Which files to scan: paths given, folders searched; each file read by its format's module.

A folder is walked in sorted order (hidden folders, ``node_modules`` and ``.terraform`` left out);
every file is tried by content, not by name alone: ``.yaml``/``.yml``/``.template`` as CloudFormation
or SAM, ``.json`` as a Terraform plan, CDK output (``*.template.json``) or CloudFormation. A file
that is none of them is skipped and listed; a broken one is a :class:`Problem` and the others are
still scanned.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from reporter.iac import cdk, cloudformation, sam, terraform
from reporter.iac.model import Loaded, Problem, display

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".template", ".json")
_SKIP_DIRS = {"node_modules", ".terraform", "__pycache__", ".git", ".venv", "venv"}


def candidates(paths: Iterable[Path]) -> tuple[list[Path], list[str], list[Problem]]:
    """(files to try, files skipped by name, paths that do not exist)."""
    files: list[Path] = []
    skipped: list[str] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            for item in sorted(path.rglob("*")):
                rel = item.relative_to(path).parts
                if any(p.startswith(".") or p in _SKIP_DIRS for p in rel[:-1]) or not item.is_file():
                    continue
                if item.name.startswith("."):
                    continue
                if item.suffix.lower() in TEMPLATE_SUFFIXES:
                    files.append(item)
                else:
                    skipped.append(display(item))
        else:
            problems.append(Problem(display(path), None, "no such file or folder"))
    return files, skipped, problems


def load_paths(paths: Iterable[Path], region: str, partition: str = "aws") -> Loaded:
    files, skipped, problems = candidates(paths)
    loaded = Loaded(skipped=skipped, problems=problems)
    for path in files:
        _load_one(path, display(path), region, partition, loaded)
    return loaded


def _load_one(path: Path, shown: str, region: str, partition: str, loaded: Loaded) -> None:
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            loaded.problems.append(Problem(shown, None, f"cannot read: {exc}"))
            return
        except json.JSONDecodeError as exc:
            loaded.problems.append(Problem(shown, exc.lineno, f"malformed JSON: {exc.msg}"))
            return
        if terraform.is_plan(data):
            plan, problems = terraform.load(data, shown)
            loaded.problems += problems
            if plan is not None:
                loaded.plans.append(plan)
            return
        if not isinstance(data, dict) or not cloudformation.is_template(data):
            loaded.skipped.append(shown)
            return
        if cdk.is_cdk_output(path, data):
            template, problems = cdk.load(path, shown)
            loaded.problems += problems
            if template is not None:
                loaded.templates.append(template)
            return
    document, problems = cloudformation.decode(path, shown)
    if problems:
        loaded.problems += problems
        return
    if document is None or not cloudformation.is_template(document):
        loaded.skipped.append(shown)
        return
    if cloudformation.is_sam(document):
        template, problems = sam.load(path, shown, region, partition, document=document)
    else:
        template, problems = cloudformation.load(path, shown, document=document)
    loaded.problems += problems
    if template is not None:
        loaded.templates.append(template)
