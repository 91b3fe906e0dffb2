"""The standard demo organization (DESIGN.md §10): month 2, what ``--demo`` audits.

Months 0 and 1, its history for month-over-month reports, are this organization before the
changes of :mod:`reporter.demo.quarter`, which says what changed in each month and why. The
declarations here hold no month logic.
"""

from __future__ import annotations

import random
import string
from dataclasses import replace

from reporter.demo import infra, quarter
from reporter.demo.builder import AccountBuilder
from reporter.demo.spec import ConfigSpec, NetworkSpec, OrgSpec, PermissionSpec, SubnetSpec

R1, R2, R3 = "us-east-1", "eu-west-1", "ap-southeast-2"
OPT_IN = "eu-south-1"
"""An opt-in region (Europe (Milan)): enabled only in the accounts that opted in (media-prod)."""
DEMO_REGIONS: tuple[str, ...] = (R1, R2, R3, OPT_IN)
DEMO_MONTHS = 3
LATEST_MONTH = DEMO_MONTHS - 1

HIGH_RISK = (("CostControl", "HighRisk"),)
LATENCY = (("LatencyCritical", "true"),)
ERR_THR = ("Errors", "Throttles")
HOSTILE_LONG_NAME = "quarterly-reconciliation-and-ledger-consistency-verification-job"  # 64 chars
UNICODE_OWNER = "Zoë Ångström"


def _token(rng: random.Random, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def standard_org(seed: int = 7, month: int = LATEST_MONTH) -> OrgSpec:
    if not 0 <= month <= LATEST_MONTH:
        raise ValueError(f"month must be between 0 and {LATEST_MONTH}")
    rng = random.Random(f"reporter-demo-{seed}")
    accounts = [
        _management(),
        _payments_prod(rng),
        _orders_prod(),
        _payments_dev(rng),
        _data_dev(rng),
        _sandbox(),
        _security(),
        _acquired(),
        _legacy(),
    ]
    quarter.rewind(accounts, month)
    if month == LATEST_MONTH:
        accounts.append(_media())
    return OrgSpec(
        accounts=tuple(a.build() for a in accounts),
        regions=DEMO_REGIONS,
        month=month,
        opt_in_regions=(OPT_IN,),
    )


def _management() -> AccountBuilder:
    b = AccountBuilder("management", "management", "Root", management=True, app="org")
    b.fn("org-account-vending", R1, "admin_bounded", tags=(("Owner", "platform"),), alarms=("Errors",))
    b.fn("org-inventory-sync", R1, alarms=ERR_THR, runtime="python3.13")
    b.fn("org-billing-digest", R2, log_retention=None)
    b.fn("org-guardrails-audit", R3, runtime="python3.13", alarms=("Errors",), log_retention=180)
    b.config = [infra.config_global(R1, admin_rule="no_admin_statements")]
    return b


def _payments_prod(rng: random.Random) -> AccountBuilder:
    tags = (("Environment", "prod"), ("CostCenter", "payments"), ("Owner", "team-payments"))
    b = AccountBuilder("payments-prod", "payments-prod", "Root/Workloads/Prod", tags=tags, app="payments")
    b.networks = [
        infra.two_az_vpc("payments-vpc", R1, "10.10.0.0/16"),
        infra.two_az_vpc("payments-eu", R2, "10.11.0.0/16"),
    ]
    b.fn(
        "payments-api",
        R1,
        "clean_vpc",
        network="payments-vpc",
        subnets=("app-a", "app-b"),
        tags=LATENCY,
        provisioned=10,
        alarms=ERR_THR,
        env=(("TABLE_NAME", "payments-transactions"), ("STAGE", "prod")),
    )
    b.fn("payments-settlement", R1, reserved=820, alarms=("Errors",), log_retention=90)
    b.fn(
        "payments-webhook-public",
        R1,
        "admin",
        runtime="nodejs22.x",
        url_auth="NONE",
        permissions=(PermissionSpec("public-invoke", "*"),),
        tags=HIGH_RISK,
        log_retention=None,
    )
    b.fn(
        "payments-ledger-writer",
        R1,
        "write_star",
        runtime="python3.13",
        env=(("DB_HOST", "ledger.cluster.internal"), ("DB_PASSWORD", "correct-horse-battery")),
        secret_env=("DB_PASSWORD",),
        alarms=ERR_THR,
    )
    b.fn(
        "payments-fraud-scorer",
        R1,
        role="payments-shared-exec",
        runtime="python3.11",
        large_package=True,
        memory=3008,
    )
    b.fn("payments-refunds", R1, role="payments-shared-exec", tags=HIGH_RISK, reserved=5)
    b.fn(
        "payments-api-eu",
        R2,
        "clean_vpc",
        network="payments-eu",
        subnets=("app-a",),
        tags=LATENCY,
        alarms=("Errors",),
    )
    b.fn("payments-reconciler", R2, role="payments-shared-exec", runtime="python3.10")
    b.fn(
        "payments-s3-ingest",
        R2,
        permissions=(
            PermissionSpec(
                "s3-invoke",
                "s3.amazonaws.com",
                source_account=True,
                source_arn="arn:aws:s3:::payments-inbound-eu",
            ),
        ),
        log_retention=14,
    )
    b.fn(
        "payments-api-apac",
        R3,
        alarms=ERR_THR,
        env=(("STAGE", "prod"), ("VENDOR_API_KEY", _token(rng, 32))),
        secret_env=("VENDOR_API_KEY",),
    )
    b.fn("payments-batch-export", R3, tags=HIGH_RISK, reserved=50)
    b.fn("payments-statement-mailer", R2, alarms=("Errors",), env=(("SENDER", "statements@example.com"),))
    b.fn("payments-currency-rates", R3, runtime="python3.13", architecture="arm64", log_retention=14)
    b.fn("payments-dlq-redrive", R1, runtime="nodejs22.x", alarms=("Errors",))
    b.config = [
        infra.config_global(R1, admin_rule="no_admin_statements", vpc_rule=True, concurrency_rule=True),
        infra.config_regional(R2, vpc_rule=True),
    ]
    return b


def _orders_prod() -> AccountBuilder:
    tags = (("Environment", "prod"), ("CostCenter", "orders"), ("Owner", UNICODE_OWNER))
    b = AccountBuilder("orders-prod", "orders-prod", "Root/Workloads/Prod", tags=tags, app="orders")
    b.networks = [infra.mixed_vpc("orders-vpc", R1, "10.20.0.0/16")]
    b.fn(
        "orders-api",
        R1,
        "clean_vpc",
        runtime="nodejs22.x",
        url_auth="AWS_IAM",
        network="orders-vpc",
        subnets=("web-a", "app-b"),
        alarms=("Errors",),
    )
    b.fn(
        "orders-worker",
        R1,
        "s3_star",
        network="orders-vpc",
        subnets=("db-c", "app-a"),
        log_retention=30,
    )
    b.fn(
        "orders-events-handler",
        R1,
        permissions=(
            PermissionSpec(
                "events-invoke",
                "events.amazonaws.com",
                source_arn="arn:aws:events:us-east-1:<ACCOUNT>:rule/orders-nightly",
            ),
        ),
        alarms=ERR_THR,
    )
    b.fn("orders-ops-console", R1, "admin_and_power", description="Break-glass console for the ops team")
    b.fn(
        "orders-checkout",
        R1,
        "clean",
        runtime="ruby3.3",
        tags=LATENCY,
        provisioned=5,
        alarms=ERR_THR,
        memory=1024,
    )
    b.fn("orders-search-indexer", R1, "clean_vpc", network="orders-vpc", subnets=("shared-b", "app-a"))
    b.fn("orders-api-eu", R2, "trust_ec2", alarms=("Throttles",))
    b.fn(
        "orders-invoice-pdf",
        R2,
        runtime="python3.10",
        env=(("STRIPE_SECRET", "sk_live_51HqLxZ2eZvKYlo2C0a9"), ("TEMPLATE_BUCKET", "orders-templates")),
        secret_env=("STRIPE_SECRET",),
    )
    b.fn("orders-api-apac", R3, alarms=("Errors",))
    b.fn("orders-notifier", R3, "not_action", runtime="nodejs20.x")
    b.fn("orders-cart-expiry", R2, alarms=ERR_THR, log_retention=14)
    b.fn("orders-returns-api", R3, runtime="python3.13", alarms=ERR_THR)
    b.fn("orders-stock-sync", R1, tags=HIGH_RISK, reserved=5, alarms=("Throttles",))
    b.config = [
        infra.config_global(R1, admin_rule="guide_managed_policy_check", vpc_rule=True, guide_attempts=True),
        infra.config_regional(R2, vpc_rule=True, recording=False),
    ]
    return b


def _payments_dev(rng: random.Random) -> AccountBuilder:
    tags = (("Environment", "dev"), ("CostCenter", "payments"), ("Owner", "=team+payments@example.com"))
    b = AccountBuilder("payments-dev", "payments-dev", "Root/Workloads/Dev", tags=tags, app="payments")
    b.fn("payments-dev-sandbox-api", R1, "power_user")
    b.fn("payments-dev-legacy-report", R1, "pass_role", runtime="python3.8", log_group=False)
    b.fn(
        "payments-dev-old-webhook",
        R1,
        runtime="nodejs16.x",
        permissions=(PermissionSpec("account-invoke", "*", source_account=True),),
    )
    b.fn("-leading-dash-cleanup", R1, "unbounded", description="=1+1 @SUM(A1) +cmd|' /C calc'!A0")
    b.fn(HOSTILE_LONG_NAME, R1, runtime="python3.13", description="Résumé ✓ 日本語 <script>alert(1)</script>")
    b.fn("payments-dev-worker", R2, "leaky_boundary")
    b.fn(
        "payments-dev-api",
        R2,
        env=(("API_KEY", _token(rng, 24)), ("UPSTREAM_URL", "https://api.example.com/v1")),
        secret_env=("API_KEY",),
    )
    b.fn("payments-dev-cron", R3, "lambda_full", runtime="python3.11")
    b.fn("payments-dev-seed-data", R3, "unbounded", timeout=900)
    b.fn(
        "payments-dev-feature-flags",
        R2,
        "leaky_boundary",
        runtime="nodejs22.x",
        env=(("FLAGS_TABLE", "feature-flags"),),
    )
    return b


def _data_dev(rng: random.Random) -> AccountBuilder:
    tags = (("Environment", "dev"), ("CostCenter", "data"))
    b = AccountBuilder("data-dev", "data-dev", "Root/Workloads/Dev", tags=tags, app="data")
    b.networks = [infra.main_table_vpc("data-vpc", R1, "10.30.0.0/16")]
    b.fn("data-etl-loader", R1, "clean_vpc", network="data-vpc", subnets=("etl-a",))
    b.fn("data-etl-transform", R1, "attach_policy", network="data-vpc", subnets=("etl-a", "etl-b"))
    b.fn("data-image-pipeline", R1, runtime=None, memory=2048, timeout=900)
    b.fn("data-pricing-engine", R1, runtime="java21", tags=LATENCY, snap_start=True, memory=2048)
    b.fn("data-guide-example", R2, "guide", description="The guide's example role and boundary, verbatim")
    b.fn("data-assume-anything", R2, "assume_any")
    b.fn(
        "data-quality-checks",
        R3,
        env=(
            ("CONFIG_REF", "AKIA" + _token(rng, 16, string.ascii_uppercase + string.digits)),
            ("STAGE", "dev"),
        ),
        secret_env=("CONFIG_REF",),
    )
    b.fn("data-report-builder", R3, "dead_grants", log_retention=7)
    b.fn("data-catalog-crawler", R2, runtime="python3.12", timeout=600, log_retention=30)
    b.fn("data-export-parquet", R3, tags=HIGH_RISK, reserved=2, memory=3008)
    # records the global IAM types too: the one recorder of the account (LG-CFG-01, issue 12)
    b.config = [replace(infra.config_regional(R1, recording=True), include_global=True)]
    return b


def _sandbox() -> AccountBuilder:
    tags = (("Environment", "sandbox"), ("Owner", "alice"))
    b = AccountBuilder(
        "sandbox-alice",
        "sandbox-zoë (ΑΛΦΑ) 実験",
        "Root/Sandbox",
        tags=tags,
        app="alice",
        concurrency_limit=10,
    )
    b.fn("alice-experiment-1", R1, "trust_account", trusted_account_key="payments-dev", log_group=False)
    b.fn("alice-scratch", R1, runtime="python3.13", log_retention=None)
    b.fn("alice-chatbot", R2, runtime="nodejs22.x", url_auth="NONE")
    b.fn("alice-ml-test", R3, "customer_admin", architecture="arm64")
    b.fn("alice-hello-world", R2, runtime="python3.13")
    b.fn("alice-webscraper", R3, "unbounded", runtime="nodejs22.x", log_retention=None)
    return b


def _security() -> AccountBuilder:
    tags = (("Environment", "prod"), ("CostCenter", "security"))
    b = AccountBuilder("security-tooling", "security-tooling", "Root/Security", tags=tags, app="security")
    b.networks = [infra.two_az_vpc("security-vpc", R1, "10.40.0.0/16")]
    b.fn("sec-guardduty-forwarder", R1, alarms=ERR_THR, runtime="python3.13")
    b.fn("sec-config-remediator", R1, alarms=("Errors",))
    b.fn(
        "sec-vpc-flow-analyzer",
        R1,
        "clean_vpc",
        network="security-vpc",
        subnets=("app-a", "app-b"),
        alarms=ERR_THR,
    )
    b.fn("sec-access-analyzer-export", R2, log_retention=365)
    b.fn("sec-log-shipper", R3, alarms=ERR_THR, architecture="arm64")
    b.fn("sec-iam-key-rotation", R2, alarms=ERR_THR, runtime="python3.13")
    b.fn("sec-findings-digest", R3, log_retention=90)
    b.config = [
        infra.config_global(R1, admin_rule="no_admin_statements", vpc_rule=True),
        infra.config_regional(R2, vpc_rule=True),
        infra.config_regional(R3, vpc_rule=True),
    ]
    return b


def _acquired() -> AccountBuilder:
    b = AccountBuilder(
        "acquired-startup",
        "acquired-startup",
        "Root/Acquisitions",
        tags=(("Environment", "prod"),),
        app="acq",
        denied=True,
    )
    b.fn("acq-billing-api", R1, "admin")
    b.fn("acq-user-sync", R2)
    return b


def _legacy() -> AccountBuilder:
    b = AccountBuilder(
        "legacy-archive",
        "legacy-archive",
        "Root/Sandbox",
        tags=(("Environment", "retired"),),
        app="legacy",
        suspended=True,
    )
    b.fn("legacy-archiver", R1, runtime="python3.8")
    return b


def _media() -> AccountBuilder:
    """Issue 12's cases, joined in the standard month: what real AWS does that moto does not.

    - eu-south-1 is an opt-in region enabled here only: every other account shows it as a skipped
      "region not enabled" coverage row, this one is crawled there;
    - a public permission added to alias "live" only (GetPolicy without Qualifier does not show
      it): LG-PUB-01 fails naming the qualifier;
    - a VPC whose default routes go to a Transit Gateway (egress through a central VPC):
      LG-NET-02 passes naming the gateway;
    - a recorder in eu-west-1 that excludes AWS::Lambda::Function: LG-CFG-01 fails there.
    """
    tags = (("Environment", "prod"), ("CostCenter", "media"))
    b = AccountBuilder(
        "media-prod", "media-prod", "Root/Workloads/Prod", tags=tags, app="media", opted_in=(OPT_IN,)
    )
    b.networks = [
        NetworkSpec(
            "media-vpc",
            R1,
            "10.50.0.0/16",
            (SubnetSpec("app-a", "a", "tgw"), SubnetSpec("app-b", "b", "tgw")),
        )
    ]
    b.fn("media-transcoder", R1, "clean_vpc", network="media-vpc", subnets=("app-a", "app-b"), alarms=ERR_THR)
    b.fn(
        "media-preview-api",
        R2,
        permissions=(PermissionSpec("public-preview", "*", qualifier="live"),),
        alarms=("Errors",),
    )
    b.fn("media-catalog-milan", OPT_IN, runtime="python3.13", alarms=ERR_THR)
    b.config = [
        infra.config_global(R1, vpc_rule=True),
        ConfigSpec(R2, "recording", exclude_types=("AWS::Lambda::Function",)),
    ]
    return b
