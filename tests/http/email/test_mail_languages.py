"""A mail is written in the language of the page that sent it."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.conftest import Account
from tests.support.pages import csrf_of
from tests.support.smtp import MailCatcher, mail_to

pytestmark = pytest.mark.anyio

ADDRESS = "alice@example.com"


@pytest.mark.parametrize(
    ("language", "subject", "greeting"),
    [
        ("ja", "Stint のパスワードを再設定", "alice さん"),
        ("de", "Ihr Stint-Passwort zurücksetzen", "Hallo alice,"),
        ("ru", "Сброс пароля Stint", "Здравствуйте, alice!"),  # noqa: RUF001 (Cyrillic)
        ("zh-CN", "重置您的 Stint 密码", "alice，您好："),  # noqa: RUF001 (CJK punctuation)
    ],
)
async def test_a_password_reset_mail_is_in_the_language_of_the_request(
    app: Starlette,
    client: httpx.AsyncClient,
    mailbox: MailCatcher,
    alice: Account,
    language: str,
    subject: str,
    greeting: str,
) -> None:
    await app.state.runtime.claims.update(alice.id, {"email": ADDRESS})
    headers = {"Accept-Language": language}
    page = await client.get("/password-reset", headers=headers)
    form = {"csrf_token": csrf_of(page), "account": "alice"}
    answer = await client.post("/password-reset", data=form, headers=headers)
    assert answer.status_code == 200
    (mail,) = await mail_to(app, mailbox, ADDRESS)
    assert mail["Subject"] == subject
    body = mail.get_content()
    assert body.startswith(greeting)
    assert "/password-reset/confirm?token=" in body
    assert "Someone asked" not in body  # no English left in it
