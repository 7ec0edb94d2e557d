"""Derive an event's marketing channel from its UTM medium, source and referrer."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

CHANNELS: Final = (
    "paid_search",
    "paid_social",
    "display",
    "organic_search",
    "social",
    "email",
    "affiliate",
    "referral",
    "other",
    "direct",
)

_PAID_MEDIUMS = frozenset({"cpc", "ppc", "paid", "paid_search", "paidsearch", "sem"})
_PAID_SOCIAL_MEDIUMS = frozenset({"paid_social", "paidsocial", "social_paid", "social-paid"})
_DISPLAY_MEDIUMS = frozenset({"display", "banner", "cpm", "retargeting"})
_EMAIL_MEDIUMS = frozenset({"email", "e-mail", "e_mail", "newsletter", "mail"})
_SOCIAL_MEDIUMS = frozenset({"social", "social-network", "social_network", "social-media", "sm"})
_ORGANIC_MEDIUMS = frozenset({"organic", "seo"})
_REFERRAL_MEDIUMS = frozenset({"referral", "link"})
_AFFILIATE_MEDIUMS = frozenset({"affiliate", "partner"})

_SEARCH_HOSTS = ("google.", "bing.", "duckduckgo.", "yahoo.", "baidu.", "yandex.", "ecosia.")
_SOCIAL_HOSTS = (
    "facebook.",
    "fb.",
    "instagram.",
    "linkedin.",
    "lnkd.in",
    "twitter.",
    "t.co",
    "x.com",
    "reddit.",
    "youtube.",
    "tiktok.",
    "news.ycombinator.",
    "mastodon.",
)
_MAIL_HOSTS = ("mail.google.", "outlook.", "mail.yahoo.", "mail.proton.")
_SOCIAL_SOURCES = ("facebook", "fb", "instagram", "linkedin", "twitter", "x", "reddit", "tiktok")


def _host(referrer: str) -> str:
    host = urlsplit(referrer if "//" in referrer else f"//{referrer}").hostname or ""
    return host.lower().removeprefix("www.").removeprefix("m.")


def _matches(host: str, patterns: tuple[str, ...]) -> bool:
    labels = host.split(".")
    for pattern in patterns:
        if pattern.endswith("."):
            # A brand ("google."): consecutive labels of the host, followed by at least one more.
            brand = pattern[:-1].split(".")
            n = len(brand)
            if any(labels[i : i + n] == brand for i in range(len(labels) - n)):
                return True
        elif host == pattern or host.endswith(f".{pattern}"):
            return True
    return False


def _from_medium(medium: str, source: str) -> str | None:
    if medium in _PAID_MEDIUMS:
        return "paid_social" if source in _SOCIAL_SOURCES else "paid_search"
    for mediums, channel in (
        (_PAID_SOCIAL_MEDIUMS, "paid_social"),
        (_DISPLAY_MEDIUMS, "display"),
        (_EMAIL_MEDIUMS, "email"),
        (_SOCIAL_MEDIUMS, "social"),
        (_ORGANIC_MEDIUMS, "organic_search"),
        (_REFERRAL_MEDIUMS, "referral"),
        (_AFFILIATE_MEDIUMS, "affiliate"),
    ):
        if medium in mediums:
            return channel
    return None


def _from_referrer(referrer: str) -> str | None:
    host = _host(referrer)
    if not host:
        return None
    # Webmail first: mail.google.com is not a search.
    if _matches(host, _MAIL_HOSTS):
        return "email"
    if _matches(host, _SEARCH_HOSTS):
        return "organic_search"
    if _matches(host, _SOCIAL_HOSTS):
        return "social"
    return "referral"


def derive_channel(
    *,
    utm_source: str | None,
    utm_medium: str | None,
    referrer: str | None,
    event_type: str = "",
) -> str:
    """Return the channel of a touchpoint: UTM medium first, then referrer, then event type."""
    medium = (utm_medium or "").strip().lower()
    source = (utm_source or "").strip().lower()
    if medium:
        channel = _from_medium(medium, source)
        if channel is not None:
            return channel
    if referrer and referrer.strip():
        channel = _from_referrer(referrer.strip())
        if channel is not None:
            return channel
    if medium or source:
        return "other"
    if event_type.startswith("email_") or event_type == "unsubscribe":
        return "email"
    return "direct"
