"""Channel derivation from UTM parameters and referrers."""

from __future__ import annotations

import pytest

from leads.channels import CHANNELS, derive_channel


@pytest.mark.parametrize(
    ("source", "medium", "referrer", "event_type", "channel"),
    [
        ("google", "cpc", None, "page_view", "paid_search"),
        ("linkedin", "cpc", None, "page_view", "paid_social"),
        ("newsletter", "Email", None, "page_view", "email"),
        ("twitter", "social", None, "page_view", "social"),
        ("partner", "affiliate", None, "page_view", "affiliate"),
        (None, "display", None, "page_view", "display"),
        ("webinar", "weird", None, "page_view", "other"),
        (None, None, "https://www.google.co.uk/search?q=x", "page_view", "organic_search"),
        (None, None, "https://duckduckgo.com/", "page_view", "organic_search"),
        (None, None, "https://mail.google.com/mail/u/0", "page_view", "email"),
        (None, None, "https://t.co/abc", "page_view", "social"),
        (None, None, "https://www.linkedin.com/feed", "page_view", "social"),
        (None, None, "https://abc.t.company.com/", "page_view", "referral"),
        (None, None, "https://googleblog.example.com/", "page_view", "referral"),
        (None, None, "not a url", "page_view", "referral"),
        (None, None, None, "email_clicked", "email"),
        (None, None, "", "page_view", "direct"),
        (None, None, None, "page_view", "direct"),
    ],
)
def test_derive_channel(
    source: str | None, medium: str | None, referrer: str | None, event_type: str, channel: str
) -> None:
    derived = derive_channel(
        utm_source=source, utm_medium=medium, referrer=referrer, event_type=event_type
    )
    assert derived == channel
    assert derived in CHANNELS
