"""Lenient date parsing for feeds: RFC 822, ISO 8601 and the odd forms
publishers write. Results are timezone-aware UTC; naive times are taken as UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_tz

__all__ = ["parse_date"]

_MIN_YEAR = 1990
_MAX_YEAR = 2200

# Zone abbreviations seen in feeds that email.utils does not know.
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 60, "IST": 330, "CET": 60, "MET": 60,
    "CEST": 120, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "JST": 540, "KST": 540,
    "AEST": 600, "AEDT": 660, "ACST": 570, "AWST": 480, "NZST": 720, "NZDT": 780, "HKT": 480,
    "SGT": 480, "PST": -480, "PDT": -420, "MST": -420, "MDT": -360, "CST": -360, "CDT": -300,
    "EST": -300, "EDT": -240, "AST": -240, "ADT": -180, "HST": -600, "AKST": -540,
}  # fmt: skip

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "janv", "jän", "ene", "gen"),
            ("feb", "fév", "fev", "febr"),
            ("mar", "mär", "mrz", "març"),
            ("apr", "avr", "abr", "apr"),
            ("may", "mai", "mei", "mag", "may"),
            ("jun", "juin", "jun"),
            ("jul", "juil", "lug"),
            ("aug", "aoû", "aou", "ago"),
            ("sep", "sept", "set"),
            ("oct", "okt", "ott", "out"),
            ("nov",),
            ("dec", "déc", "dez", "dic"),
        ),
        start=1,
    )
    for name in names
}

_ISO = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T\s]+(\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.I,
)
_WORDY = re.compile(
    r"^(?:[A-Za-z\u00c0-\u017f]+\.?,?\s+)?(\d{1,2})\.?\s+([A-Za-z\u00c0-\u017f]+)\.?,?\s+(\d{4})"
    r"(?:[\sT,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*([A-Za-z]{1,5}|[+-]\d{2}:?\d{2})?$"
)
_US = re.compile(
    r"^(?:[A-Za-z]+\.?,?\s+)?([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
    r"(?:[\s,]+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?\s*([A-Za-z]{1,5}|[+-]\d{2}:?\d{2})?$"
)


def _offset(zone: str | None) -> int | None:
    """Offset in minutes, 0 when absent, None when unknown."""
    if not zone:
        return 0
    zone = zone.strip()
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        if not digits.isdigit() or len(digits) not in (2, 4):
            return None
        minutes = int(digits[:2]) * 60 + (int(digits[2:]) if len(digits) == 4 else 0)
        return -minutes if zone[0] == "-" else minutes
    return _ZONES.get(zone.upper())


def _build(
    year: int, month: int, day: int, hour: int, minute: int, second: int, offset: int | None
) -> datetime | None:
    if offset is None or not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        moment = datetime(year, month, day, 0, 0, 0, tzinfo=UTC)
    except ValueError:
        return None
    if hour > 24 or minute > 59 or second > 61:
        return None
    moment += timedelta(hours=hour, minutes=minute, seconds=min(second, 59))
    return moment - timedelta(minutes=offset)


def _month(name: str) -> int | None:
    name = name.lower().rstrip(".")
    for length in (4, 3):
        number = _MONTHS.get(name[:length])
        if number:
            return number
    return None


def parse_date(value: str | None) -> datetime | None:
    """A timezone-aware UTC datetime, or None when the text is not a date we
    can read (or lies before 1990 or after 2200)."""
    if not value:
        return None
    text = " ".join(value.split())
    if not text or len(text) > 80:
        return None
    match = _ISO.match(text)
    if match:
        y, mo, d, h, mi, s, _frac, zone = match.groups()
        return _build(
            int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), _offset(zone)
        )
    parsed = parsedate_tz(text)
    if parsed is not None and parsed[0] and parsed[1] and parsed[2]:
        y, mo, d, h, mi, s = parsed[:6]
        if y < 100:
            y += 2000 if y < 70 else 1900
        zone = text.rsplit(" ", 1)[-1]
        minutes = _offset(zone) if zone.isalpha() else None
        if minutes is None:
            # email.utils reads an unknown or missing zone as UTC.
            minutes = (parsed[9] or 0) // 60
        return _build(y, mo, d, h, mi, s, minutes)
    match = _WORDY.match(text)
    if match:
        d, mon, y, h, mi, s, zone = match.groups()
        month = _month(mon)
        if month:
            return _build(
                int(y), month, int(d), int(h or 0), int(mi or 0), int(s or 0), _offset(zone)
            )
    match = _US.match(text)
    if match:
        mon, d, y, h, mi, s, ampm, zone = match.groups()
        month = _month(mon)
        if month:
            hour = int(h or 0)
            if ampm:
                hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
            return _build(int(y), month, int(d), hour, int(mi or 0), int(s or 0), _offset(zone))
    return None
