"""A nurture email as sent: headers for one-click unsubscribe and a Message-ID fixed by the send.

The Message-ID is derived from the send id, so every attempt at one send carries the same id: a
receiving system (or a person reading two copies after an SMTP retry) can tell a redelivery
from a second email. `List-Unsubscribe` with `List-Unsubscribe-Post` is RFC 8058's one-click
unsubscribe that mail providers show as a button.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from html import escape
from urllib.parse import urlsplit

from nurture.rendering import RenderedEmail

SEND_HEADER = "X-Clinch-Nurture-Send"
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


def message_domain(*, sender: str, public_url: str) -> str:
    """Return the domain a Message-ID names: the sender's, else the public URL's host."""
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2].strip().lower()
    if domain and re.fullmatch(r"[a-z0-9.-]+", domain):
        return domain
    return (urlsplit(public_url).hostname or "clinch.localhost").lower()


def message_id_for(send_id: int, *, sender: str, public_url: str) -> str:
    """Return the Message-ID of a send: the same for every attempt."""
    return f"<nurture-{send_id}@{message_domain(sender=sender, public_url=public_url)}>"


def with_open_pixel(html: str, url: str) -> str:
    """Return HTML with a 1×1 tracking image before `</body>` (or at the end)."""
    pixel = f'<img src="{escape(url)}" width="1" height="1" alt="" style="display:none">'
    ends = [m.start() for m in _BODY_END.finditer(html)]
    if not ends:
        return f"{html}{pixel}"
    return f"{html[: ends[-1]]}{pixel}{html[ends[-1] :]}"


def build_message(
    rendered: RenderedEmail,
    *,
    send_id: int,
    sender: str,
    to_email: str,
    to_name: str | None,
    unsubscribe_url: str,
    message_id: str,
    at: datetime,
    open_url: str | None = None,
) -> EmailMessage:
    """Return the email of a send: text, HTML alternative, one-click unsubscribe headers."""
    message = EmailMessage()
    message["From"] = sender
    # A name is one line in a header, whatever a form sent.
    name = " ".join((to_name or "").split())
    message["To"] = formataddr((name, to_email)) if name else to_email
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = message_id
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message[SEND_HEADER] = str(send_id)
    message.set_content(rendered.text)
    if rendered.html is not None:
        html = rendered.html if open_url is None else with_open_pixel(rendered.html, open_url)
        message.add_alternative(html, subtype="html")
    return message
