"""Does an environment variable look like it holds a secret? (RULES.md LG-RT-03)

:func:`secret_like` judges one variable from its **name** and the **shape of its value**.
Only the verdict leaves this module: callers store variable names, never values, and nothing
here logs or keeps the value.

Name rules (the name is split into words at ``_ - .`` and camelCase boundaries, upper-cased):

- a secret word: PASSWORD, PASSWD, PASSPHRASE, SECRET(S), TOKEN, APIKEY, CREDENTIAL(S),
  CREDS, PRIVATEKEY, ACCESSKEY, SECRETKEY; also glued to a prefix (``DBPASSWORD``,
  ``GITHUBTOKEN``), because names are often written without separators;
- ``<qualifier> KEY`` pairs: API, PRIVATE, ACCESS, SECRET, SIGNING, ENCRYPTION, MASTER, HMAC,
  SESSION, AUTH, LICENSE, CLIENT, SSH, JWT (a bare KEY is an S3 key or a cache key far too often);
- PASS and AUTH/AUTHORIZATION only as the last word (``SMTP_PASS``, ``BASIC_AUTH``) since as a
  prefix they usually qualify a setting (``AUTH_MODE``, ``PASS_THROUGH``); PWD anywhere except
  the bare ``PWD`` (the shell's working directory).

Words are matched whole, so ``TOKENIZER_MODEL``, ``AUTHOR`` or ``SECRETARY`` never count.
A name whose last word says it holds a *reference* or *metadata* about a secret does not count:
``DB_SECRET_ARN``, ``API_KEY_PARAMETER_NAME``, ``TOKEN_SSM_PATH``, ``PASSWORD_SECRET_ID``,
``TOKEN_TTL``, ``MAX_TOKEN_COUNT`` point at a secret store or describe a secret without containing
one. The one exception is ``…ACCESS_KEY_ID``: an AWS access key id is half of a credential pair.
TOKENS (plural) is not a secret word: ``MAX_TOKENS`` is a language-model setting.

Value rules, whatever the name:

- known credential shapes: AWS access key ids (AKIA/ASIA/ABIA/ACCA), PEM private-key headers,
  JWTs, GitHub, Slack, Stripe, Google, npm, SendGrid and OpenAI-style keys, Slack webhooks,
  URLs with a password (``postgres://u:p@host``), ``Password=`` in connection strings;
- high entropy (see :func:`_random_looking`): a long base64-alphabet string that is not made of
  words or hex.

An empty value or a flag (true/false/yes/no/on/off/none/null) holds nothing, and a value that is
itself a reference (an ARN, a parameter-store
path, a CloudFormation ``{{resolve:…}}``) holds no secret even under a secret-sounding name.
"""

from __future__ import annotations

import math
import re
from collections import Counter

DETECTOR_VERSION = 1
"""Version of these rules, recorded in the evidence manifest beside the verdicts they produced
(``functions.secret_env_var_names``): the values are never stored, so the verdicts cannot be
recomputed later and a reader must know which rules made them. Bump it with any change that can
turn a verdict.
"""

_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

SECRET_WORDS = frozenset(
    {
        "PASSWORD",
        "PASSWORDS",
        "PASSWD",
        "PASSPHRASE",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "APIKEY",
        "APIKEYS",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "PRIVATEKEY",
        "ACCESSKEY",
        "SECRETKEY",
    }
)
GLUED_SUFFIXES = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "PRIVATEKEY", "ACCESSKEY", "CREDENTIALS")
"""A single word ending in one of these is a glued secret word (``DBPASSWORD``, ``SLACKTOKEN``)."""
KEY_QUALIFIERS = frozenset(
    {
        "API",
        "PRIVATE",
        "ACCESS",
        "SECRET",
        "SIGNING",
        "ENCRYPTION",
        "MASTER",
        "HMAC",
        "SESSION",
        "AUTH",
        "LICENSE",
        "CLIENT",
        "SSH",
        "JWT",
    }
)
LAST_WORD_ONLY = frozenset({"PASS", "AUTH", "AUTHORIZATION"})
REFERENCE_SUFFIXES = frozenset(
    {
        # where the secret lives
        "ARN",
        "NAME",
        "ID",
        "IDS",
        "PATH",
        "PARAM",
        "PARAMETER",
        "SSM",
        "REF",
        "FILE",
        "DIR",
        "URL",
        "URI",
        "ENDPOINT",
        "HEADER",
        "LOCATION",
        # facts about the secret, not the secret
        "TTL",
        "EXPIRY",
        "EXPIRATION",
        "EXPIRES",
        "LENGTH",
        "SIZE",
        "COUNT",
        "LIMIT",
        "TYPE",
        "MODE",
        "ENABLED",
        "DISABLED",
        "VERSION",
        "REGION",
        "ALGORITHM",
        "ROTATION",
    }
)

_VALUE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",  # AWS access key id
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",  # PEM / OpenSSH / PGP private key
        r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",  # JWT: base64 '{"' twice
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b",  # GitHub tokens
        r"\bgithub_pat_[A-Za-z0-9_]{22,}",
        r"\bxox[abposr]-[A-Za-z0-9-]{10,}",  # Slack tokens
        r"hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+",  # Slack webhook
        r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}",  # Stripe secret / restricted keys
        r"\bwhsec_[A-Za-z0-9]{16,}",  # Stripe webhook secret
        r"\bAIza[0-9A-Za-z_-]{35}\b",  # Google API key
        r"\bnpm_[A-Za-z0-9]{36}\b",  # npm token
        r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}",  # SendGrid
        r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}",  # OpenAI / Anthropic style
        r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@",  # URL carrying a password
        r"(?i)(?:^|[;\s])(?:password|pwd)\s*=\s*[^;\s]+",  # Password= in a connection string
    )
)
_FLAGS = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null"})
_REFERENCE_VALUE = re.compile(r"^(?:arn:aws[a-z-]*:|\{\{resolve:|/[\w.+=@-]+/[\w.+=@/-]+$)")
"""An ARN, a CloudFormation dynamic reference, or a parameter-store style path (≥ 2 segments)."""

ENTROPY_MIN_LENGTH = 20
ENTROPY_FRACTION = 0.83
"""Threshold: entropy ≥ 0.83 × log2(min(len, 64)) bits per character, i.e. this share of the most a
string of that length can have. Measured on random base62/base64 strings, about 95 % of them
reach it at 20–64 characters (random 20-char: median 4.0 bits, 5th percentile 3.78; 40-char:
4.77 / 4.55), while names, slugs and CloudFormation physical ids stay below or are excluded by
the structure checks. Random lowercase+digit tokens mostly fall below: names catch those."""
ENTROPY_MIN_SEGMENT = 16
"""Longest piece between ``- _ /`` must be this long: word-built ids (``Stack-Func-1ABCDEFG2HIJ``)
break into short pieces, random base64url keeps long runs."""
ENTROPY_MAX_WORDINESS = 0.4
"""Share of characters in word-like runs (``[A-Z]?[a-z]{3,}``) above which a value is prose or an
identifier (``NodeJsLambdaRuntime18x``), not random."""
_BASE64_ALPHABET = re.compile(r"^[A-Za-z0-9+/=_-]+$")
_HEX_ONLY = re.compile(r"^[0-9a-fA-F-]+$")
_WORDLIKE = re.compile(r"[A-Z]?[a-z]{3,}")


def secret_like(name: str, value: str) -> bool:
    """True when the variable probably holds a secret; ``value`` is only inspected, never kept."""
    text = value.strip()
    if not text or text.lower() in _FLAGS or _REFERENCE_VALUE.match(text):
        return False
    return name_looks_secret(name) or value_looks_secret(value)


def name_looks_secret(name: str) -> bool:
    words = _words(name)
    if not words:
        return False
    last = words[-1]
    if last in REFERENCE_SUFFIXES and words[-3:] != ["ACCESS", "KEY", "ID"]:
        return False
    if words == ["PWD"]:
        return False
    for i, word in enumerate(words):
        if word in SECRET_WORDS or word == "PWD" or word.endswith(GLUED_SUFFIXES):
            return True
        if word in KEY_QUALIFIERS and i + 1 < len(words) and words[i + 1] in ("KEY", "KEYS"):
            return True
    return last in LAST_WORD_ONLY


def value_looks_secret(value: str) -> bool:
    return any(p.search(value) for p in _VALUE_PATTERNS) or _random_looking(value)


def shannon_entropy(text: str) -> float:
    """Bits per character of ``text``'s own character distribution."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _random_looking(value: str) -> bool:
    """A long base64-alphabet token with high entropy that is not words, hex, a URL or a path.

    URLs, ARNs and paths contain ``:`` or start with ``/`` and so fail the alphabet test; hex-only
    strings (hashes, commit ids, UUIDs) are left out because they are rarely secrets on their own
    and hex API keys are caught by their names.
    """
    text = value.strip()
    if len(text) < ENTROPY_MIN_LENGTH or text.startswith("/"):
        return False
    if not _BASE64_ALPHABET.match(text) or _HEX_ONLY.match(text):
        return False
    if not (any(c.isdigit() for c in text) and any(c.isalpha() for c in text)):
        return False
    if max(len(piece) for piece in re.split(r"[-_/]", text)) < ENTROPY_MIN_SEGMENT:
        return False
    if sum(len(m) for m in _WORDLIKE.findall(text)) / len(text) >= ENTROPY_MAX_WORDINESS:
        return False
    return shannon_entropy(text) >= ENTROPY_FRACTION * math.log2(min(len(text), 64))


def _words(name: str) -> list[str]:
    words: list[str] = []
    for part in _SEPARATORS.split(name):
        words.extend(w.upper().rstrip("0123456789") for w in _CAMEL.split(part) if w)
    return [w for w in words if w]
