"""Signed webhooks, Stripe-style: what is posted, how it is signed, how a receiver checks it.

`X-Clinch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, b"<t>." + body)>`. Signing
the time with the body lets a receiver refuse a replay of an old post; `X-Clinch-Delivery` (the
notification id) is the same on every retry of one notice, so a receiver can drop duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from routing.errors import InvalidWebhookUrl

SIGNATURE_HEADER = "X-Clinch-Signature"
EVENT_HEADER = "X-Clinch-Event"
DELIVERY_HEADER = "X-Clinch-Delivery"
SECRET_PREFIX = "whsec_"
# How far a signature's time may be from the receiver's clock (a replayed post is older).
TOLERANCE_S = 300


def new_secret() -> str:
    """Return a new endpoint secret."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def check_url(url: str) -> str:
    """Return the URL if it is an absolute http(s) URL with a host; refuse anything else."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a port that is not a number
    except ValueError as exc:
        raise InvalidWebhookUrl(f"not a URL: {url!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidWebhookUrl(f"a webhook needs an http:// or https:// URL with a host: {url!r}")
    return url


def body_of(payload: Mapping[str, Any]) -> bytes:
    """Return the bytes posted for a payload: compact JSON with sorted keys."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def _digest(secret: str, body: bytes, t: int) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, at: datetime) -> str:
    """Return the signature header's value for a body posted at this time."""
    t = int(at.timestamp())
    return f"t={t},v1={_digest(secret, body, t)}"


def _parse(header: str) -> tuple[int | None, list[str]]:
    t: int | None = None
    signatures = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            t = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    return t, signatures


def verify(
    secret: str, body: bytes, header: str, *, now: datetime, tolerance_s: int = TOLERANCE_S
) -> bool:
    """Return whether the header signs this body with this secret, within the tolerance."""
    t, signatures = _parse(header)
    if t is None or not signatures or abs(now.timestamp() - t) > tolerance_s:
        return False
    expected = _digest(secret, body, t)
    # Every v1 is compared (an endpoint may list several while its secret is rotated).
    return any(hmac.compare_digest(expected, s) for s in signatures)


def headers(
    secret: str, body: bytes, *, event: str, delivery_id: int, at: datetime
) -> dict[str, str]:
    """Return the headers of a webhook post."""
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body, at=at),
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery_id),
        "User-Agent": "Clinch-Webhooks/1",
    }
