"""Where mail goes: the SMTP URL's forms, the log in development, nothing in production."""

from __future__ import annotations

import logging

import pytest

from stint.mail import Mail
from stint.mail.smtp import SmtpMailer, SmtpTarget, parse_smtp_url
from stint.settings import ConfigError, Settings, load_settings
from stint.web.app import create_app
from tests.conftest import FAST_HASHING, PASSWORD
from tests.support.pages import browser, csrf_of, text_of
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (
            "smtp://user%40x:p%3Ass@mail.example.com:587?starttls=1",
            SmtpTarget("mail.example.com", 587, starttls=True, username="user@x", password="p:ss"),
        ),
        (
            "smtps://u:p@mail.example.com",
            SmtpTarget("mail.example.com", 465, True, False, "u", "p"),
        ),
        ("smtp://127.0.0.1", SmtpTarget("127.0.0.1", 25)),
    ],
)
def test_smtp_urls(url: str, target: SmtpTarget) -> None:
    assert parse_smtp_url(url) == target


@pytest.mark.parametrize(
    "url", ["http://mail.example.com", "smtp://", "smtps://h?starttls=1", "smtp://h:port"]
)
def test_a_wrong_smtp_url_stops_start_up(url: str) -> None:
    with pytest.raises((ConfigError, ValueError)):
        load_settings(smtp_url=url)


def test_the_password_never_shows_in_the_settings() -> None:
    assert "secret-pass" not in repr(Settings(smtp_url="smtp://u:secret-pass@h:25"))


async def test_without_smtp_development_writes_the_mail_to_the_log(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    dev = create_app(settings.model_copy(update={"smtp_url": ""}), hashing=FAST_HASHING)
    async with dev.router.lifespan_context(dev), browser(dev) as client:
        page = await client.get("/signup")
        form = {"username": "newbie", "password": PASSWORD, "confirm_password": PASSWORD}
        with caplog.at_level(logging.WARNING, logger="stint.mail"):
            await client.post(
                "/signup", data=form | {"csrf_token": csrf_of(page), "email": "n@example.com"}
            )
            await dev.state.email.outbox.settle()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "stint.mail")
    assert "To: n@example.com" in logged
    assert "http://testserver/verify-email?token=" in logged  # a newcomer can click it


async def test_without_smtp_production_says_reset_is_not_available(settings: Settings) -> None:
    production = settings.model_copy(update={"smtp_url": "", "environment": "production"})
    app = create_app(production, hashing=FAST_HASHING)
    async with app.router.lifespan_context(app), browser(app) as client:
        reset = await client.get("/password-reset")
        assert reset.status_code == 503
        assert "This server cannot send mail" in text_of(reset)
        assert "/password-reset" not in (await client.get("/login")).text


async def test_the_smtp_login_is_used() -> None:
    with smtp_server(login=("stint", "p@ss word")) as catcher:
        port = catcher.url.rpartition(":")[2]
        url = f"smtp://stint:p%40ss%20word@127.0.0.1:{port}"
        mailer = SmtpMailer(parse_smtp_url(url), "Stint <stint@example.com>")
        await mailer.send(Mail("a@example.com", "Hello", "Grüße: the text is UTF-8\n"))
        (mail,) = catcher.to("a@example.com")
        assert mail["From"] == "Stint <stint@example.com>"
        body = mail.get_body(("plain",))
        assert body is not None
        assert body.get_content().splitlines() == ["Grüße: the text is UTF-8"]
