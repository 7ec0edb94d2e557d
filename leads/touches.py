"""First and last touch of a lead: which touchpoint brought them, and which came last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leads.models import Lead, as_utc


@dataclass(frozen=True)
class Touch:
    """A touchpoint: UTM parameters, referrer, derived channel and when it happened."""

    source: str | None
    medium: str | None
    campaign: str | None
    referrer: str | None
    channel: str
    at: datetime


def first_touch(lead: Lead) -> Touch | None:
    """Return the lead's first touch, if any."""
    if lead.first_touch_at is None:
        return None
    return Touch(
        source=lead.first_touch_source,
        medium=lead.first_touch_medium,
        campaign=lead.first_touch_campaign,
        referrer=lead.first_touch_referrer,
        channel=lead.first_touch_channel or "direct",
        at=as_utc(lead.first_touch_at),
    )


def last_touch(lead: Lead) -> Touch | None:
    """Return the lead's last touch, if any."""
    if lead.last_touch_at is None:
        return None
    return Touch(
        source=lead.last_touch_source,
        medium=lead.last_touch_medium,
        campaign=lead.last_touch_campaign,
        referrer=lead.last_touch_referrer,
        channel=lead.last_touch_channel or "direct",
        at=as_utc(lead.last_touch_at),
    )


def _set_first(lead: Lead, touch: Touch) -> None:
    lead.first_touch_source = touch.source
    lead.first_touch_medium = touch.medium
    lead.first_touch_campaign = touch.campaign
    lead.first_touch_referrer = touch.referrer
    lead.first_touch_channel = touch.channel
    lead.first_touch_at = touch.at


def _set_last(lead: Lead, touch: Touch) -> None:
    lead.last_touch_source = touch.source
    lead.last_touch_medium = touch.medium
    lead.last_touch_campaign = touch.campaign
    lead.last_touch_referrer = touch.referrer
    lead.last_touch_channel = touch.channel
    lead.last_touch_at = touch.at


def _replaces_last(touch: Touch, last: Touch | None) -> bool:
    if last is None:
        return True
    # Last touch is the last non-direct one: a direct visit does not erase the campaign that
    # brought the lead (the usual last-non-direct-click rule), whatever order events arrive in.
    if touch.channel != "direct":
        return last.channel == "direct" or touch.at >= last.at
    return last.channel == "direct" and touch.at >= last.at


def record_touch(lead: Lead, touch: Touch) -> None:
    """Update the lead's first and last touch and last-seen time with a touchpoint."""
    first = first_touch(lead)
    if first is None or touch.at < first.at:
        _set_first(lead, touch)
    if _replaces_last(touch, last_touch(lead)):
        _set_last(lead, touch)
    if lead.last_seen_at is None or as_utc(lead.last_seen_at) < touch.at:
        lead.last_seen_at = touch.at
