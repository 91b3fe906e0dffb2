"""Frame values → safe Excel cell values, and AWS console links.

- Columns are converted once, vectorised through Arrow: nulls → None (an empty cell), numpy
  scalars → Python numbers, lists → "a, b", maps/dicts → "k=v; …", timezone-aware times → naive UTC
  (Excel has no time zones), scores → rounded down to one decimal like every other report.
- Text from AWS is stored exactly as a string cell. A string starting with ``= + - @``, tab or CR
  (or looking like an Excel error such as ``#N/A``) is forced to the string type and quote-prefixed
  (see :meth:`StyleBook.cell`): never a formula, and the text itself is not changed.
- Characters XML cannot carry (control characters; CR, which XML readers turn into LF) are written
  with the OOXML ``_xHHHH_`` escape, and a literal ``_xHHHH_`` in the text is escaped as
  ``_x005F_xHHHH_``, so Excel shows the original text (ECMA-376 Part 1, §22.9.2.19 ST_Xstring).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
from openpyxl.cell.cell import ERROR_CODES

from reporter.outputs import FORMULA_PREFIXES
from reporter.scoring import format_score

_NEEDS_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f]|_x[0-9A-Fa-f]{4}_")
_ERROR_VALUES = frozenset(ERROR_CODES)
_REGION = re.compile(r"^[a-z0-9-]{1,32}$")
_CONSOLE_HOSTS: dict[str, str] = {
    "aws": "console.aws.amazon.com",
    "aws-us-gov": "console.amazonaws-us-gov.com",
    "aws-cn": "console.amazonaws.cn",
}


def _escape(match: re.Match[str]) -> str:
    text = match.group(0)
    if len(text) == 1:
        return f"_x{ord(text):04X}_"
    return "_x005F" + text


def xlsx_text(text: str) -> str:
    """``text`` as it must be written so that Excel reads back exactly ``text``."""
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _NEEDS_ESCAPE.sub(_escape, text)


def needs_literal(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula or an error value."""
    return text.startswith(FORMULA_PREFIXES) or text in _ERROR_VALUES


def score_value(value: Any) -> float | None:
    """A score as shown everywhere: rounded *down* to one decimal (reporter.scoring.format_score)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(format_score(float(value)))


def console_url(arn: str) -> str | None:
    """AWS console page of a Lambda function or IAM role ARN; None for anything else.

    Names are percent-encoded into the URL, so no character of an ARN can change the link's target
    beyond the function or role page of that name.
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    _, partition, service, region, _account, resource = parts
    host = _CONSOLE_HOSTS.get(partition)
    if host is None:
        return None
    if service == "lambda" and resource.startswith("function:") and _REGION.match(region):
        name = resource.split(":")[1]
        return (
            f"https://{host}/lambda/home?region={region}#/functions/{quote(name, safe='')}" if name else None
        )
    if service == "iam" and resource.startswith("role/"):
        name = resource.rsplit("/", 1)[-1]
        return f"https://{host}/iam/home#/roles/{quote(name, safe='')}" if name else None
    return None


def _plain(value: Any) -> Any:
    """One value of an object column as a cell value."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else _plain(value.to_pydatetime())
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date | dt.time):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | np.ndarray):
        items = list(value)
        if items and all(isinstance(i, tuple) and len(i) == 2 for i in items):  # an Arrow map
            return "; ".join(f"{k}={_text(v)}" for k, v in items)
        return ", ".join(_text(i) for i in items)
    return str(value)


def _text(value: Any) -> str:
    plain = _plain(value)
    return "" if plain is None else str(plain)


def _join_lists(values: list[Any]) -> list[Any]:
    return [None if v is None else ", ".join("" if i is None else str(i) for i in v) for v in values]


def _join_maps(values: list[Any]) -> list[Any]:
    return [None if v is None else "; ".join(f"{k}={'' if x is None else x}" for k, x in v) for v in values]


def _naive_utc(values: list[Any]) -> list[Any]:
    return [v.astimezone(dt.UTC).replace(tzinfo=None) if v is not None and v.tzinfo else v for v in values]


def _no_nan(values: list[Any]) -> list[Any]:
    return [None if v is None or v != v else v for v in values]


def _converter(arrow_type: pa.DataType) -> Callable[[list[Any]], list[Any]] | None:
    """The fix-up of an Arrow column's to_pylist() output; None when it is already cell-ready."""
    if (
        pa.types.is_string(arrow_type)
        or pa.types.is_large_string(arrow_type)
        or pa.types.is_integer(arrow_type)
    ):
        return None
    if pa.types.is_boolean(arrow_type):
        return None
    if pa.types.is_floating(arrow_type):
        return _no_nan
    if pa.types.is_map(arrow_type):
        return _join_maps
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return _join_lists
    if pa.types.is_timestamp(arrow_type):
        return _naive_utc
    return lambda values: [_plain(v) for v in values]


def column_values(series: pd.Series) -> list[Any]:
    """Cell values of one frame column (see the module docstring)."""
    if isinstance(series.dtype, pd.ArrowDtype):
        arrow_type = series.dtype.pyarrow_dtype
        values = pa.array(series).to_pylist()
        fix = _converter(arrow_type)
        return values if fix is None else fix(values)
    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
        return series.astype(object).where(series.notna(), None).tolist()
    return [_plain(v) for v in series.astype(object).tolist()]
