from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tidings.core import reltime
from tidings.core.reltime import exact, relative

NOW = datetime(2025, 6, 30, 9, 0, tzinfo=UTC)
TOKYO = ZoneInfo("Asia/Tokyo")  # UTC+9: 18:00 on 30 Jun
LA = ZoneInfo("America/Los_Angeles")  # UTC-7: 02:00 on 30 Jun


@pytest.mark.parametrize(
    ("ago", "tz", "expected"),
    [
        (timedelta(seconds=10), UTC, "just now"),
        (timedelta(seconds=-120), UTC, "just now"),
        (timedelta(minutes=1), UTC, "1 minute ago"),
        (timedelta(minutes=12, seconds=59), UTC, "12 minutes ago"),
        (timedelta(hours=1), UTC, "1 hour ago"),
        (timedelta(hours=2, minutes=59), UTC, "2 hours ago"),
        (timedelta(hours=11), UTC, "11 hours ago"),
        # 20 h before 09:00 UTC is 13:00 the day before: "yesterday" in UTC ...
        (timedelta(hours=20), UTC, "yesterday"),
        # ... but in Tokyo both moments fall on 30 Jun (01:00 and 18:00).
        (timedelta(hours=17), TOKYO, "17 hours ago"),
        # 16:00 UTC 29 Jun is 09:00 29 Jun in LA and 02:00 30 Jun is "now": yesterday there.
        (timedelta(hours=17), LA, "yesterday"),
        (timedelta(days=2), UTC, "2 days ago"),
        (timedelta(days=6), UTC, "6 days ago"),
        (timedelta(days=8), UTC, "22 Jun"),
        (timedelta(days=200), UTC, "12 Dec 2024"),
        (timedelta(days=-3), UTC, "3 Jul"),
    ],
)
def test_relative(ago, tz, expected):
    assert relative(NOW - ago, NOW, tz) == expected


def test_relative_uses_the_readers_calendar_day():
    # 23:30 UTC the previous evening, one hour before 00:30 UTC: hours, not "yesterday".
    now = datetime(2025, 7, 1, 0, 30, tzinfo=UTC)
    assert relative(now - timedelta(hours=1), now, UTC) == "1 hour ago"
    # 13 hours earlier is 11:30 on 30 Jun: the previous calendar day in UTC ...
    assert relative(now - timedelta(hours=13), now, UTC) == "yesterday"
    # ... but in Tokyo (09:30 on 1 Jul vs 20:30 on 30 Jun) also yesterday, and in
    # Los Angeles (17:30 vs 04:30, both 30 Jun) the same day.
    assert relative(now - timedelta(hours=13), now, TOKYO) == "yesterday"
    assert relative(now - timedelta(hours=13), now, LA) == "13 hours ago"


def test_exact_shows_local_time_and_zone():
    assert exact(NOW, UTC) == "Mon 30 Jun 2025, 09:00 UTC"
    assert exact(NOW, TOKYO) == "Mon 30 Jun 2025, 18:00 JST"
    assert exact(NOW, LA) == "Mon 30 Jun 2025, 02:00 PDT"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.2, "a few seconds"),
        (5, "a few seconds"),
        (5.1, "6 seconds"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (3600, "about 1 hour"),
        (3601, "about 2 hours"),
        (86236, "about 24 hours"),
    ],
)
def test_a_wait_in_words_is_never_too_short(seconds: float, words: str) -> None:
    assert reltime.wait(seconds) == words
