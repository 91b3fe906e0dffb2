"""The demo's quarter of remediation: what changed in the organization month by month, and why.

The catalog declares the standard organization: month 2, what ``--demo`` audits. Months 0 and 1
are the same organization *before* the changes below. Every change names the month it first
shows in, the account, what it is meant to do to the findings (fix, regress or both) and why, and
how to undo it; month ``m`` is the standard organization with every change of a later month
undone, newest first.

The story, as a leadership audience should read it from the scorecard:

- Month 0, the first audit: teams ran most functions under one shared role with
  ``AWSLambda_FullAccess`` per team, a few functions were public, secrets sat in environment
  variables, AWS Config was off in places. The organization scores about ten points below month 2.
- Month 1: production goes first. orders-prod and security-tooling split their shared roles into
  one role per function (the guide's "One Role, One Function"); public access and plain-text
  secrets are removed; HighRisk functions get their concurrency cap. It regresses too: a vendor
  key pasted into payments-prod, a reservation that starves its region, a leaky boundary.
- Month 2: the role split reaches data-dev, management and the sandbox; payments-dev drops
  AdministratorAccess and adds boundaries; runtimes, alarms and log retention catch up; SnapStart
  arrives. It regresses too: a public chatbot URL, dead grants. payments-prod falls: a partner
  webhook goes live with a public function URL, AdministratorAccess and no concurrency cap
  although it is tagged HighRisk. The break-glass console's waiver (:data:`DEMO_WAIVERS`) lapses,
  so its critical finding counts again.

Secrets added here come from their own random stream, so the catalog's values (and the standard
month) do not move when this story changes.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Sequence

from reporter.demo import infra
from reporter.demo.builder import AccountBuilder
from reporter.demo.changes import Absent, Change, ConfigWas, Existed, RoleWas, was
from reporter.demo.spec import PermissionSpec

R1, R2, R3 = "us-east-1", "eu-west-1", "ap-southeast-2"
_RNG = random.Random("reporter-demo-quarter")


def _token(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(length))


def _split(shared: str, functions: Sequence[str]) -> tuple[RoleWas, ...]:
    return tuple(RoleWas(f, "lambda_full", shared) for f in functions)


CHANGES: tuple[Change, ...] = (
    # --- month 1: production first; criticals, public access and secrets --------------------------
    Change(
        1,
        "orders-prod",
        "fix",
        "The shared orders-deploy role (AWSLambda_FullAccess, no boundary) is split into one bounded "
        "role per function.",
        _split(
            "orders-deploy",
            (
                "orders-events-handler",
                "orders-checkout",
                "orders-invoice-pdf",
                "orders-api-apac",
                "orders-cart-expiry",
                "orders-returns-api",
                "orders-stock-sync",
            ),
        ),
    ),
    Change(
        1,
        "security-tooling",
        "fix",
        "The security team's shared role (AWSLambda_FullAccess) is split into one bounded role per "
        "function; the remediator no longer runs with it.",
        _split(
            "security-automation",
            (
                "sec-guardduty-forwarder",
                "sec-config-remediator",
                "sec-access-analyzer-export",
                "sec-log-shipper",
                "sec-iam-key-rotation",
                "sec-findings-digest",
            ),
        ),
    ),
    Change(
        1,
        "payments-dev",
        "fix",
        "The old webhook's resource policy let anyone invoke it; the statement is pinned to the account.",
        (was("payments-dev-old-webhook", permissions=(PermissionSpec("account-invoke", "*"),)),),
    ),
    Change(
        1,
        "data-dev",
        "fix",
        "A public function URL left over from a demo is removed.",
        (was("data-catalog-crawler", url_auth="NONE"),),
    ),
    Change(
        1,
        "management",
        "both",
        "The strict boundary is attached to the account-vending role: escalation paths close, and the "
        "grants it blocks show as dead grants.",
        (RoleWas("org-account-vending", "admin"),),
    ),
    Change(
        1,
        "orders-prod",
        "fix",
        "The payment gateway token moves from an environment variable to Secrets Manager.",
        (
            was(
                "orders-checkout",
                env=(("LOG_LEVEL", "INFO"), ("GATEWAY_TOKEN", _token(40))),
                secret_env=("GATEWAY_TOKEN",),
            ),
        ),
    ),
    Change(
        1,
        "security-tooling",
        "fix",
        "A static access key in the key-rotation function's environment is replaced by its role.",
        (
            was(
                "sec-iam-key-rotation",
                env=(
                    ("LOG_LEVEL", "INFO"),
                    ("ROTATION_KEY_ID", "AKIA" + _token(16, string.ascii_uppercase + string.digits)),
                ),
                secret_env=("ROTATION_KEY_ID",),
            ),
        ),
    ),
    Change(
        1,
        "payments-prod",
        "both",
        "Concurrency is reserved in us-east-1: HighRisk refunds get their breaker (5), and settlement's "
        "reservation goes from 600 to 820, leaving the region under 20 % unreserved.",
        (was("payments-refunds", reserved=None), was("payments-settlement", reserved=600)),
    ),
    Change(
        1,
        "orders-prod",
        "fix",
        "HighRisk stock sync gets its breaker: reserved concurrency 5.",
        (was("orders-stock-sync", reserved=None),),
    ),
    Change(
        1,
        "orders-prod",
        "fix",
        "An Errors alarm on the API and a 30-day retention on the worker's logs.",
        (was("orders-api", alarms=()), was("orders-worker", log_retention=None)),
    ),
    Change(
        1,
        "orders-prod",
        "fix",
        "The legacy cron job (Python 3.8, unbounded role) is retired.",
        (Existed("orders-legacy-cron", R1, "unbounded", (("runtime", "python3.8"),)),),
    ),
    Change(
        1,
        "security-tooling",
        "both",
        "The AWS Config recorder in ap-southeast-2 is started: the region is recorded, and Config now "
        "reports its functions outside a VPC.",
        (ConfigWas(R3, infra.config_regional(R3, vpc_rule=True, recording=False)),),
    ),
    Change(
        1,
        "data-dev",
        "fix",
        "AWS Config is turned on in us-east-1, recording the global IAM types too.",
        (ConfigWas(R1, None),),
    ),
    Change(
        1,
        "payments-dev",
        "both",
        "The worker's role gets a boundary, but the permissive one: it lets iam: and kms: through.",
        (RoleWas("payments-dev-worker", "unbounded"),),
    ),
    Change(
        1,
        "payments-prod",
        "regression",
        "A vendor API key is pasted into the APAC API's configuration.",
        (was("payments-api-apac", env=(("LOG_LEVEL", "INFO"), ("STAGE", "prod")), secret_env=()),),
    ),
    Change(
        1,
        "data-dev",
        "regression",
        "A new ETL loader is deployed in one zone, behind a main route table with no default route.",
        (Absent("data-etl-loader"),),
    ),
    # --- month 2: the rollout reaches dev and the sandbox; payments-prod slips ----------------------
    Change(
        2,
        "data-dev",
        "fix",
        "The data team's shared role (AWSLambda_FullAccess) is split into one bounded role per function.",
        _split(
            "data-pipelines",
            (
                "data-image-pipeline",
                "data-pricing-engine",
                "data-quality-checks",
                "data-catalog-crawler",
                "data-export-parquet",
            ),
        ),
    ),
    Change(
        2,
        "management",
        "fix",
        "The organization jobs' shared role (AWSLambda_FullAccess) is split into one bounded role each.",
        _split("org-automation", ("org-inventory-sync", "org-billing-digest", "org-guardrails-audit")),
    ),
    Change(
        2,
        "sandbox-alice",
        "fix",
        "Alice's experiments stop sharing one AWSLambda_FullAccess role.",
        _split("alice-sandbox", ("alice-scratch", "alice-chatbot", "alice-hello-world")),
    ),
    Change(
        2,
        "payments-dev",
        "fix",
        "The cron job's AdministratorAccess is swapped for AWSLambda_FullAccess: the critical goes, the "
        "role is still too broad.",
        (RoleWas("payments-dev-cron", "admin"),),
    ),
    Change(
        2,
        "payments-dev",
        "fix",
        "A permissions boundary on the API and the reconciliation job.",
        (
            RoleWas("payments-dev-api", "unbounded"),
            RoleWas("quarterly-reconciliation-and-ledger-consistency-verification-job", "unbounded"),
        ),
    ),
    Change(
        2,
        "security-tooling",
        "fix",
        "The flow-log analyzer moves into the security VPC.",
        (was("sec-vpc-flow-analyzer", network=None, subnets=()),),
    ),
    Change(
        2,
        "management",
        "fix",
        "Runtimes upgraded from Python 3.8, alarms and log retention added.",
        (
            was("org-guardrails-audit", runtime="python3.8", log_retention=None),
            was("org-inventory-sync", alarms=()),
        ),
    ),
    Change(
        2,
        "orders-prod",
        "fix",
        "The returns API moves from Python 3.8 to 3.13.",
        (was("orders-returns-api", runtime="python3.8"),),
    ),
    Change(
        2,
        "sandbox-alice",
        "fix",
        "The scraper's API key leaves its environment; hello-world moves off Python 3.8.",
        (
            was(
                "alice-webscraper",
                env=(("LOG_LEVEL", "INFO"), ("SCRAPER_API_KEY", _token(32))),
                secret_env=("SCRAPER_API_KEY",),
            ),
            was("alice-hello-world", runtime="python3.8"),
        ),
    ),
    Change(
        2,
        "data-dev",
        "fix",
        "SnapStart on the latency-critical pricing engine.",
        (was("data-pricing-engine", snap_start=False),),
    ),
    Change(
        2,
        "payments-prod",
        "regression",
        "A partner webhook goes live with a public function URL and a public resource policy, "
        "AdministratorAccess, and no reserved concurrency although it is tagged HighRisk.",
        (Absent("payments-webhook-public"),),
    ),
    Change(
        2,
        "sandbox-alice",
        "regression",
        "The chatbot's function URL is opened to the internet (AuthType NONE).",
        (was("alice-chatbot", url_auth="AWS_IAM"),),
    ),
    Change(
        2,
        "data-dev",
        "regression",
        "Secrets Manager and KMS grants are added to the report builder that its boundary blocks.",
        (RoleWas("data-report-builder", "clean"),),
    ),
)


def rewind(builders: Sequence[AccountBuilder], month: int) -> None:
    """Turn the standard organization's builders into month ``month``: undo, newest first, every
    change that first shows after it."""
    by_key = {b.key: b for b in builders}
    # CHANGES is in order of time, so reversed is newest first, also within a month.
    for change in reversed([c for c in CHANGES if c.month > month]):
        for step in reversed(change.before):
            step.undo(by_key[change.account])


# --- the demo's waivers ----------------------------------------------------------------------------

WAIVER_LAPSE = dt.timedelta(days=7)
"""The demo's waiver expires this long before the last monthly run."""

DEMO_WAIVERS = """\
# Waivers of the demo organization (written by --demo --demo-months N, N > 1).
waivers:
  - id: W-DEMO-001
    rule: LG-IAM-01
    account: "{account}"
    resource: orders-ops-console
    reason: Break-glass console for the ops team keeps AdministratorAccess until elevation moves to
      IAM Identity Center (OPS-212).
    owner: ops-platform@example.com
    expires: {expires}
"""
"""One waiver, active in the earlier months and lapsed a week before the last one: the break-glass
console's critical finding is accepted until then, and counts again in the last month."""


def demo_waivers(orders_prod_account_id: str, last_run: dt.date) -> str:
    """The demo's waivers file for a monthly series whose last run is on ``last_run``."""
    return DEMO_WAIVERS.format(account=orders_prod_account_id, expires=(last_run - WAIVER_LAPSE).isoformat())
