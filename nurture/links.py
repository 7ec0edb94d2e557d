"""Signed links in nurture email: one-click unsubscribe, tracked clicks and opens.

Each kind is signed with its own salt, so a token of one kind is never accepted as another. A
click token carries its target URL inside the signature: the click route follows only that URL,
so a link can never be turned into an open redirect by editing it. Tokens expire `link_ttl_s`
after the email was rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from nurture.config import NurtureConfig
from nurture.errors import NurtureLinkExpired, NurtureLinkInvalid

LinkKind = Literal["unsubscribe", "click", "open"]
_SALTS: dict[LinkKind, str] = {
    "unsubscribe": "clinch-nurture-unsubscribe",
    "click": "clinch-nurture-click",
    "open": "clinch-nurture-open",
}
PATHS: dict[LinkKind, str] = {"unsubscribe": "/n/u/", "click": "/n/c/", "open": "/n/o/"}
URL_MAX = 2000
_WHAT: dict[LinkKind, str] = {
    "unsubscribe": "unsubscribe link",
    "click": "link",
    "open": "tracking image",
}


@dataclass(frozen=True)
class Click:
    """A tracked click: the send it came from and the one URL it may lead to."""

    send_id: int
    url: str


def check_target(url: object) -> str:
    """Return a URL a tracked link may lead to (absolute http or https), else raise."""
    if not isinstance(url, str) or not url.strip():
        raise NurtureLinkInvalid(f"track(): expected a URL, got {url!r}")
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise NurtureLinkInvalid(
            f"track(): only absolute http(s) links can be tracked, not {text[:80]!r}"
        )
    if len(text) > URL_MAX:
        raise NurtureLinkInvalid(f"track(): a URL longer than {URL_MAX} characters")
    return text


def _serializer(secret: str, kind: LinkKind) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALTS[kind])


def sign_unsubscribe(secret: str, *, send_id: int) -> str:
    """Return the token of a send's unsubscribe link."""
    return _serializer(secret, "unsubscribe").dumps({"s": send_id})


def sign_click(secret: str, *, send_id: int, url: str) -> str:
    """Return the token of a tracked link to this URL in this send."""
    return _serializer(secret, "click").dumps({"s": send_id, "u": check_target(url)})


def sign_open(secret: str, *, send_id: int) -> str:
    """Return the token of a send's open-tracking image."""
    return _serializer(secret, "open").dumps({"s": send_id})


def _load(secret: str, kind: LinkKind, token: str, *, max_age_s: int) -> dict[str, Any]:
    what = _WHAT[kind]
    try:
        body = _serializer(secret, kind).loads(token, max_age=max_age_s)
    except SignatureExpired as exc:
        raise NurtureLinkExpired(f"this {what} has expired") from exc
    except BadSignature as exc:
        raise NurtureLinkInvalid(f"this {what} is not valid (it was changed or cut)") from exc
    if not isinstance(body, dict) or not isinstance(body.get("s"), int):
        raise NurtureLinkInvalid(f"this {what} is not valid (its content is malformed)")
    return body


def read_unsubscribe(secret: str, token: str, *, max_age_s: int) -> int:
    """Return the send id of a valid, unexpired unsubscribe token."""
    return int(_load(secret, "unsubscribe", token, max_age_s=max_age_s)["s"])


def read_click(secret: str, token: str, *, max_age_s: int) -> Click:
    """Return the send and target of a valid, unexpired click token."""
    body = _load(secret, "click", token, max_age_s=max_age_s)
    try:
        url = check_target(body.get("u"))
    except NurtureLinkInvalid as exc:
        raise NurtureLinkInvalid("this link is not valid (its content is malformed)") from exc
    return Click(send_id=int(body["s"]), url=url)


def expired_click_target(secret: str, token: str) -> str | None:
    """Return where an expired (but genuine) click token led, to show as a plain link."""
    try:
        body = _serializer(secret, "click").loads(token)  # checks the signature, not the age
        return check_target(body.get("u")) if isinstance(body, dict) else None
    except (BadSignature, NurtureLinkInvalid):
        return None


def read_open(secret: str, token: str, *, max_age_s: int) -> int:
    """Return the send id of a valid, unexpired open token."""
    return int(_load(secret, "open", token, max_age_s=max_age_s)["s"])


def unsubscribe_link(config: NurtureConfig, *, send_id: int) -> str:
    """Return the absolute unsubscribe URL of a send."""
    token = sign_unsubscribe(config.signing_key, send_id=send_id)
    return f"{config.public_url.rstrip('/')}{PATHS['unsubscribe']}{token}"


def click_link(config: NurtureConfig, *, send_id: int, url: str) -> str:
    """Return the absolute tracked URL that records a click and then leads to `url`."""
    token = sign_click(config.signing_key, send_id=send_id, url=url)
    return f"{config.public_url.rstrip('/')}{PATHS['click']}{token}"


def open_link(config: NurtureConfig, *, send_id: int) -> str:
    """Return the absolute URL of a send's open-tracking image."""
    token = sign_open(config.signing_key, send_id=send_id)
    return f"{config.public_url.rstrip('/')}{PATHS['open']}{token}"
