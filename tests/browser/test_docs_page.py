"""The API docs page in a real browser: Swagger UI renders the OpenAPI 3.1 document, calls the API.

An HTTP-level test sees only that the files arrive; a Swagger UI too old for OpenAPI 3.1 serves
them all and still shows nothing but "Unable to render this definition".
"""

from __future__ import annotations

import json

from playwright.sync_api import Request, expect

from tests.browser.conftest import Browser
from tests.conftest import PASSWORD, LiveServer, basic


def test_docs_page_renders_every_operation_and_runs_one(
    live_server: LiveServer, browser: Browser
) -> None:
    live_server.create_user("docs-reader")
    document = json.loads(
        browser.context.request.get(f"{live_server.base_url}/api/openapi.json").text()
    )
    operations = sum(len(item) for item in document["paths"].values())
    requested: list[str] = []

    def record(request: Request) -> None:
        requested.append(request.url)

    page = browser.page
    page.on("request", record)
    page.goto(f"{live_server.base_url}/api/docs")

    expect(page.locator(".opblock")).to_have_count(operations)
    expect(page.get_by_text("OAS 3.1", exact=True)).to_be_visible()
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)

    # "Try it out" works under the page's Content-Security-Policy: the API is the same origin.
    user_id = browser.context.request.get(
        f"{live_server.base_url}/api/me", headers=basic("docs-reader", PASSWORD)
    ).json()["id"]
    # The user signs in the way the page offers: its Authorize dialog, HTTP Basic.
    page.locator(".btn.authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("#auth-basic-username").fill("docs-reader")
    dialog.locator("#auth-basic-password").fill(PASSWORD)
    dialog.get_by_role("button", name="Apply credentials").first.click()
    dialog.get_by_role("button", name="Close").first.click()
    operation = page.locator("#operations-accounts-get_get_user")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.locator('input[placeholder="user_id"]').fill(str(user_id))
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_contain_text("200")
    expect(operation.locator(".live-responses-table .microlight").first).to_contain_text(
        '"username": "docs-reader"'
    )

    assert requested, "the page loaded something"
    assert [url for url in requested if not url.startswith(live_server.base_url + "/")] == []
    assert browser.errors == []
