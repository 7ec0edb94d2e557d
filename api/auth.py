"""API keys with roles, hashed at rest; short-lived session tokens for public endpoints."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from leads import api_keys as keys_repo
from leads.errors import ClinchError
from leads.reps import find_rep_by_email

Role = Literal["admin", "rep", "marketer", "site"]
ROLES: tuple[Role, ...] = ("admin", "rep", "marketer", "site")
REP_LINKABLE: tuple[Role, ...] = ("rep", "admin")
KEY_PREFIX = "clk_"
_PREFIX_LEN = 12
_SESSION_SALT = "clinch.session"


class AuthError(ClinchError):
    """Base of authentication and authorisation errors."""


class MissingCredentials(AuthError):
    """No API key or session token was sent."""


class InvalidCredentials(AuthError):
    """The key or token is unknown, revoked, expired or tampered with."""


class Forbidden(AuthError):
    """The caller's role may not call this route."""


class RepRequired(AuthError):
    """An admin key not linked to a rep must say which rep it acts for."""


class InvalidRole(AuthError):
    """A role that does not exist."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's owner and role, or an anonymous session."""

    kind: Literal["key", "session"]
    name: str
    role: Role | None
    key_id: int | None = None
    session_id: str | None = None
    # The rep a key speaks for (`clinch keys create --rep EMAIL`): who takes over chats.
    rep_id: int | None = None


@dataclass(frozen=True)
class NewKey:
    """A key as created: the secret is shown once and never stored."""

    id: int
    name: str
    role: Role
    secret: str
    rep_id: int | None = None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_role(value: str) -> Role:
    """Return a valid role or raise InvalidRole naming the choices."""
    for role in ROLES:
        if value == role:
            return role
    raise InvalidRole(f"unknown role {value!r}: choose one of {', '.join(ROLES)}")


def create_key(session: Session, *, name: str, role: str, rep_email: str | None = None) -> NewKey:
    """Create an API key for a person or system (a rep's key names the rep); return it once."""
    checked = parse_role(role)
    if not name.strip() or len(name) > 100:
        raise AuthError("a key needs a name of 1 to 100 characters")
    rep_id = None
    if rep_email is not None:
        if checked not in REP_LINKABLE:
            raise AuthError(f"only {' and '.join(REP_LINKABLE)} keys can speak for a rep")
        rep_id = find_rep_by_email(session, email=rep_email).id
    body = secrets.token_urlsafe(32)
    secret = f"{KEY_PREFIX}{body}"
    row = keys_repo.add_key(
        session,
        name=name.strip(),
        role=checked,
        prefix=body[:_PREFIX_LEN],
        key_hash=_hash(secret),
        rep_id=rep_id,
    )
    return NewKey(id=row.id, name=row.name, role=checked, secret=secret, rep_id=rep_id)


def verify_key(session: Session, secret: str) -> Principal:
    """Return the principal of a valid, unrevoked key."""
    if not secret.startswith(KEY_PREFIX) or len(secret) < len(KEY_PREFIX) + _PREFIX_LEN:
        raise InvalidCredentials("that is not a Clinch API key (keys start with 'clk_')")
    row = keys_repo.find_by_prefix(session, secret[len(KEY_PREFIX) :][:_PREFIX_LEN])
    if row is None or not hmac.compare_digest(row.key_hash, _hash(secret)):
        raise InvalidCredentials("unknown API key: create one with `clinch keys create`")
    if row.revoked_at is not None:
        raise InvalidCredentials(f"API key {row.id} ({row.name}) was revoked")
    keys_repo.mark_used(session, row)
    return Principal(
        kind="key", name=row.name, role=parse_role(row.role), key_id=row.id, rep_id=row.rep_id
    )


def issue_session_token(signing_key: str, *, session_id: str | None = None) -> tuple[str, str]:
    """Return a new signed session token and its session id."""
    sid = session_id or secrets.token_urlsafe(12)
    token = URLSafeTimedSerializer(signing_key, salt=_SESSION_SALT).dumps({"sid": sid})
    return token, sid


def verify_session_token(signing_key: str, token: str, *, max_age_s: int) -> Principal:
    """Return the anonymous principal of a valid, unexpired session token."""
    serializer = URLSafeTimedSerializer(signing_key, salt=_SESSION_SALT)
    try:
        data = serializer.loads(token, max_age=max_age_s)
    except SignatureExpired as exc:
        raise InvalidCredentials("the session token has expired: start a new session") from exc
    except BadSignature as exc:
        raise InvalidCredentials("the session token is not valid") from exc
    sid = str(data.get("sid", "")) if isinstance(data, dict) else ""
    if not sid:
        raise InvalidCredentials("the session token is not valid")
    return Principal(kind="session", name="prospect", role=None, session_id=sid)
