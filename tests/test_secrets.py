from __future__ import annotations

import base64
import random
import string

import pytest

from reporter.secrets import (
    ENTROPY_MIN_LENGTH,
    name_looks_secret,
    secret_like,
    shannon_entropy,
    value_looks_secret,
)

PLAIN = "some-value"


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD",
        "db_password",
        "dbPassword",
        "DBPASSWORD",
        "PASSWORD2",
        "SMTP_PASSWD",
        "SMTP_PASS",
        "DB_PWD",
        "GPG_PASSPHRASE",
        "CLIENT_SECRET",
        "JWT_SECRET_KEY",
        "APP_SECRETS",
        "GITHUB_TOKEN",
        "SLACKTOKEN",
        "authToken",
        "API_KEY",
        "apiKey",
        "APIKEY",
        "STRIPE_APIKEY",
        "PRIVATE_KEY",
        "SSH_KEY",
        "LICENSE_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "GOOGLE_CREDENTIALS",
        "SERVICE_CREDS",
        "BASIC_AUTH",
        "HTTP_AUTHORIZATION",
        "AUTH_KEY",
    ],
)
def test_secret_names(name: str) -> None:
    assert name_looks_secret(name)
    assert secret_like(name, PLAIN)


@pytest.mark.parametrize(
    "name",
    [
        "TOKENIZER_MODEL",  # TOKEN is not a whole word
        "AUTHOR_EMAIL",
        "SECRETARY_EMAIL",
        "PASSENGER_TABLE",
        "BYPASS_CACHE",
        "PWD",  # the shell's working directory
        "MAX_TOKENS",  # a language-model setting
        "MAX_TOKEN_COUNT",
        "DB_SECRET_ARN",  # references to a secret store
        "DB_SECRET_NAME",
        "API_KEY_PARAMETER_NAME",
        "TOKEN_SSM_PATH",
        "PASSWORD_SECRET_ID",
        "SECRETS_MANAGER_ENDPOINT",
        "OAUTH_TOKEN_URL",
        "TOKEN_TTL",
        "PASSWORD_MIN_LENGTH",
        "AUTH_MODE",  # AUTH only counts as the last word
        "AUTH_PROVIDER",
        "KMS_KEY_ID",
        "S3_KEY",
        "CACHE_KEY",
        "TABLE_NAME",
        "LOG_LEVEL",
        "",
    ],
)
def test_plain_names(name: str) -> None:
    assert not name_looks_secret(name)
    assert not secret_like(name, PLAIN)


@pytest.mark.parametrize(
    "value",
    [
        "AKIAIOSFODNN7EXAMPLE",
        "ASIAY34FZKBOKMUTVV7A",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "rk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        "npm_" + "abcdefghijklmnopqrstuvwxyz0123456789",
        "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",
        "sk-proj-" + "abcdefghijklmnopqrstuvwxyz012345",
        "postgres://app:s3cr3t@db.internal:5432/orders",
        "Server=db;Database=orders;User Id=app;Password=hunter2;",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # an AWS secret access key, by entropy
        "Zx81qLm2Vb7RtY0pKs3NdF6w",  # random base62, 24 chars
    ],
)
def test_secret_values_under_any_name(value: str) -> None:
    assert value_looks_secret(value)
    assert secret_like("SETTING", value)


@pytest.mark.parametrize(
    "value",
    [
        "https://api.example.com/v1/orders",
        "arn:aws:sqs:us-east-1:123456789012:orders-queue",
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "/prod/orders/db",
        "6b325f43-0433-470c-a571-8b4032c56733",  # UUID
        "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0",  # commit id (hex)
        "OrderProcessingServiceHandler",
        "LambdaFunctionExecutionRole2024",
        "NodeJsLambdaRuntime18x",
        "ThisIsMyConfigValue1",
        "MyStack-OrdersTable-1ABCDEFG2HIJ",  # CloudFormation physical id
        "serverlessrepo-MyApp-Func-ABC123DEF456",
        "us-east-1_AbCdEfGhI1234",  # Cognito user pool id
        "db.cluster-abc123xyz.us-east-1.rds.amazonaws.com",
        "2024-01-01T00:00:00Z",
        "-Xmx512m -XX:+UseG1GC",
        "application/json;charset=utf-8",
        "INFO",
        "abcdefghijklmnopqrstuvwxyz",  # long but one character class
        "Zx81qLm2Vb7RtY0pKs3",  # random but shorter than the entropy floor
    ],
)
def test_plain_values(value: str) -> None:
    assert not value_looks_secret(value)
    assert not secret_like("SETTING", value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "true",
        "False",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
        "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password",
        "/prod/db/password",
        "{{resolve:secretsmanager:prod/db:SecretString:password}}",
    ],
)
def test_empty_flag_and_reference_values_hold_no_secret(value: str) -> None:
    assert not secret_like("DB_PASSWORD", value)


def test_entropy_is_measured_per_character() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)
    assert shannon_entropy("aabb") == pytest.approx(1.0)


def test_entropy_threshold_catches_most_random_tokens_and_no_short_ones() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    tokens = ["".join(rng.choice(alphabet) for _ in range(32)) for _ in range(200)]
    tokens += [base64.b64encode(rng.randbytes(30)).decode() for _ in range(200)]
    caught = sum(value_looks_secret(t) for t in tokens)
    assert caught / len(tokens) > 0.85
    short = ["".join(rng.choice(alphabet) for _ in range(ENTROPY_MIN_LENGTH - 1)) for _ in range(50)]
    assert not any(value_looks_secret(t) for t in short)
