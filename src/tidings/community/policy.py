"""The community's knobs, read from the settings table on every use."""

from __future__ import annotations

from dataclasses import dataclass

from tidings.community.ratelimit import Rate
from tidings.core import config


@dataclass(frozen=True)
class Policy:
    max_chars: int
    edit_minutes: int
    comment_rate: Rate
    comment_ip_rate: Rate
    new_account_daily: int
    hold_first: int
    login_rate: Rate
    account_email_rate: Rate


def policy() -> Policy:
    return Policy(
        max_chars=config.read("COMMENT_MAX_CHARS"),
        edit_minutes=config.read("COMMENT_EDIT_MINUTES"),
        comment_rate=Rate.parse(config.read("COMMENT_RATE_LIMIT")),
        comment_ip_rate=Rate.parse(config.read("COMMENT_IP_RATE_LIMIT")),
        new_account_daily=config.read("NEW_ACCOUNT_DAILY_COMMENTS"),
        hold_first=config.read("COMMENT_HOLD_FIRST"),
        login_rate=Rate.parse(config.read("LOGIN_RATE_LIMIT")),
        account_email_rate=Rate.parse(config.read("ACCOUNT_EMAIL_RATE_LIMIT")),
    )
