"""One source value against one field rule: the pure checks a contract makes of every value.

Kept apart from reading files and records so they can be tested (and reused) value by value: the text a
mapping engine will see, how a value is shown in a report, the type checks, and local time read in a zone.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cxgraph.build.contract import FieldRule

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DATE = re.compile(r"-?\d{4,}-\d\d-\d\d")
_DATETIME = re.compile(r"-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
MIDNIGHT = re.compile(r"(\d{4}-\d\d-\d\d)[T ]00:00(:00(\.0+)?)?")  # a day some exports write as a midnight
_TIMED_DAY = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?")
LOCAL_DATETIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?")  # zone-less, read in a source's zone
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CURRENCY = re.compile(r"[A-Z]{3}")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")


def value_text(value: Any) -> str | None:
    """A scalar as the text a mapping engine will see; None for absent or empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text.strip() != "" else None


def shown_value(value: Any) -> str:
    """A value as the quarantine report shows it: always printable UTF-8 (bad bytes as \\xe9, lone
    surrogates as \\ud83d)."""
    if not isinstance(value, str):
        return json.dumps(value, ensure_ascii=False, default=value_text)
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        return repr(value.encode("utf-8", errors="surrogateescape"))[2:-1]
    except UnicodeEncodeError:
        return value.encode("utf-8", errors="backslashreplace").decode("utf-8")


def in_zone(value: str, zone: str) -> tuple[str | None, str | None]:
    """A zone-less local timestamp read in the source's IANA zone: (xsd:dateTime with offset, None) or (None, why).

    A local time that the zone skips (clocks going forward) or passes twice (clocks going back) names no
    single instant, so it is refused rather than guessed.
    """
    from zoneinfo import ZoneInfo

    text = value.strip()
    if not LOCAL_DATETIME.fullmatch(text):
        return None, "expected a timestamp such as 2017-10-02 10:56:33 (read in the source's time zone)"
    try:
        local = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        return None, "not a valid timestamp"
    tz = ZoneInfo(zone)
    first, second = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        return None, f"local time {text} does not exist in {zone} (clocks went forward)"
    if first.utcoffset() != second.utcoffset():
        return None, f"local time {text} happens twice in {zone} (clocks went back): the instant is ambiguous"
    # the text as written (fractions kept), with the offset in whole minutes (old local mean times have seconds,
    # which xsd:dateTime cannot hold)
    offset = round(first.utcoffset().total_seconds() / 60)  # type: ignore[union-attr]
    sign, minutes = ("-" if offset < 0 else "+"), abs(offset)
    stamp = text.replace(" ", "T") + (":00" if len(text) == 16 else "")
    return f"{stamp}{sign}{minutes // 60:02d}:{minutes % 60:02d}", None


def check_value(rule: FieldRule, raw: Any, zone: str | None = None) -> tuple[str, str] | None:
    """(rule id, message) when `raw` breaks the field rule, else None.

    `zone`: the source's time zone (sources.yaml `timezone`), in which zone-less timestamps are read.
    """
    if rule.type == "list":
        if raw is None:
            return ("required", "required value is missing") if rule.required else None
        if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
            return ("type", "expected a list of non-empty strings")
        if rule.required and not raw:
            return ("required", "required list is empty")
        return None
    if isinstance(raw, (dict, list)):
        return ("type", f"expected a single {rule.type} value, found a JSON {type(raw).__name__}")
    value = value_text(raw)
    if value is None:
        return ("required", "required value is missing") if rule.required else None
    if has_surrogates(value):
        return ("encoding", "value is not valid UTF-8")
    kind = rule.type
    if isinstance(raw, bool) and kind != "boolean":
        return ("type", f"expected {kind}, found a JSON boolean")
    if kind == "integer" and not _INTEGER.fullmatch(value):
        return ("type", "expected an integer")
    if kind == "integer" and abs(int(value)) > 2**53:  # morph-kgc maps integers through a float
        return ("range", "integer too large to map exactly (more than 2^53); declare the field a string")
    if kind == "decimal" and not _DECIMAL.fullmatch(value):
        return ("type", "expected a decimal number such as 12.50")
    if kind == "boolean" and value not in ("true", "false", "1", "0"):
        return ("type", "expected true or false")
    if kind == "date":
        day = MIDNIGHT.fullmatch(value)
        if day is None and _TIMED_DAY.fullmatch(value):
            return ("type", "a date field holds days, but this value is a point in time; declare the field datetime")
        if not _DATE.fullmatch(value) and day is None:
            return ("type", "expected a date YYYY-MM-DD")
        try:
            date.fromisoformat(day.group(1) if day else value)
        except ValueError:
            return ("type", "not a calendar date")
    if kind == "datetime" and zone and LOCAL_DATETIME.fullmatch(value.strip()):
        _stamp, why = in_zone(value, zone)
        if why:
            return ("timezone", why)
    elif kind == "datetime":
        if not _DATETIME.fullmatch(value):
            return ("type", "expected an ISO 8601 timestamp such as 2026-11-03T14:22:01+00:00")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return ("type", "not a valid timestamp")
        if parsed.tzinfo is None:
            return ("timezone", "timestamp has no time zone; the instant is ambiguous (a source whose "
                    "timestamps are local declares `timezone:` in sources.yaml, e.g. America/Sao_Paulo)")
    if kind == "email" and not _EMAIL.fullmatch(value.strip()):
        return ("type", "expected an e-mail address")
    if kind == "currency" and not _CURRENCY.fullmatch(value):
        return ("type", "expected an ISO 4217 currency code such as GBP")
    if kind == "iri" and not _IRI.fullmatch(value):
        return ("type", "expected an absolute IRI")
    if rule.minimum is not None and kind in ("integer", "decimal") and float(value) < rule.minimum:
        return ("minimum", f"must be at least {rule.minimum}")
    if rule.maximum is not None and kind in ("integer", "decimal") and float(value) > rule.maximum:
        return ("maximum", f"must be at most {rule.maximum}")
    if rule.enum is not None and value not in rule.enum:
        return ("enum", f"not one of the allowed values: {', '.join(rule.enum)}")
    if rule.pattern is not None and not rule.pattern.fullmatch(value):
        return ("pattern", f"does not match {rule.pattern.pattern}")
    return None


def has_surrogates(value: str) -> bool:
    """Not writable as UTF-8: bytes that were not UTF-8 (surrogate escapes) or a lone JSON surrogate (\\ud83d)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
