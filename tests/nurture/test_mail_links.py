"""Signed links in nurture email: a kind per salt, tampering and expiry told apart, no redirects."""

from __future__ import annotations

import time

import pytest

from nurture.errors import NurtureLinkExpired, NurtureLinkInvalid
from nurture.links import (
    check_target,
    click_link,
    read_click,
    read_open,
    read_unsubscribe,
    sign_click,
    sign_open,
    sign_unsubscribe,
    unsubscribe_link,
)
from tests.nurture.factories_mail import PUBLIC_URL, SECRET, mail_config


def test_each_kind_reads_back_and_is_refused_as_another_kind() -> None:
    unsubscribe = sign_unsubscribe(SECRET, send_id=3)
    click = sign_click(SECRET, send_id=3, url="https://quillstack.test/pricing?x=1")
    opened = sign_open(SECRET, send_id=3)
    assert read_unsubscribe(SECRET, unsubscribe, max_age_s=60) == 3
    assert read_click(SECRET, click, max_age_s=60).url == "https://quillstack.test/pricing?x=1"
    assert read_open(SECRET, opened, max_age_s=60) == 3
    with pytest.raises(NurtureLinkInvalid):
        read_unsubscribe(SECRET, opened, max_age_s=60)
    with pytest.raises(NurtureLinkInvalid):
        read_click(SECRET, unsubscribe, max_age_s=60)


def test_a_tampered_token_or_another_secret_is_invalid() -> None:
    token = sign_click(SECRET, send_id=3, url="https://quillstack.test/")
    body, _, rest = token.partition(".")
    for bad in (token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), body[:-1] + "." + rest, ""):
        with pytest.raises(NurtureLinkInvalid, match="changed or cut"):
            read_click(SECRET, bad, max_age_s=60)
    with pytest.raises(NurtureLinkInvalid):
        read_click("another secret", token, max_age_s=60)


def test_an_old_token_is_expired_not_invalid() -> None:
    token = sign_unsubscribe(SECRET, send_id=3)
    time.sleep(1.1)  # itsdangerous stamps whole seconds
    with pytest.raises(NurtureLinkExpired, match="expired"):
        read_unsubscribe(SECRET, token, max_age_s=0)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "/relative/path", "mailto:a@b.test", "", "https://"]
)
def test_only_absolute_http_links_can_be_tracked(url: str) -> None:
    with pytest.raises(NurtureLinkInvalid, match="track"):
        check_target(url)


def test_links_are_absolute_urls_under_the_public_address() -> None:
    config = mail_config(public_url=f"{PUBLIC_URL}/")
    assert unsubscribe_link(config, send_id=1).startswith(f"{PUBLIC_URL}/n/u/")
    assert click_link(config, send_id=1, url="https://x.test/").startswith(f"{PUBLIC_URL}/n/c/")
