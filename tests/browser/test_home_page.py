"""The home page in a real browser: start the timer from /, stop it, see today's total grow."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import Browser
from tests.browser.support import screenshot, sign_in
from tests.conftest import LiveServer


def test_start_and_stop_the_timer_from_the_home_page(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    live_server.create_user("tim")
    page = browser.page
    page.goto(f"{live_server.base_url}/")
    expect(page.get_by_role("link", name="Create an account")).to_have_attribute("href", "/signup")
    screenshot(page, "stint-home-visitor.png", tmp_path)
    sign_in(page, live_server.base_url, "tim")
    page.get_by_role("link", name="Stint", exact=True).click()

    today = page.locator('[data-field="today"]')
    expect(today).to_have_text("0:00:00")
    expect(page.get_by_text("No timer is running.")).to_be_visible()
    page.locator("#new_activity").fill("Writing")
    page.get_by_label("Note").fill("chapter 2")
    page.get_by_role("button", name="Start").click()

    expect(page.get_by_role("status")).to_have_text("The timer is running.")
    expect(page.locator('[data-field="running-activity"]')).to_contain_text("Running on Writing")
    # The page's script (a static file: the CSP allows no inline one) counts the time up.
    expect(page.locator('[data-field="elapsed"]')).not_to_have_text("0:00:00")
    screenshot(page, "stint-home-running.png", tmp_path)
    page.get_by_role("button", name="Stop").click()

    expect(page.get_by_role("status")).to_contain_text("The timer stopped")
    expect(page.get_by_text("No timer is running.")).to_be_visible()
    # At least a second is recorded, however quick the click (the service's rule).
    expect(today).not_to_have_text("0:00:00")
    # The next start offers the activity just made.
    expect(page.get_by_label("Activity", exact=True)).to_have_value(
        page.locator("#activity option", has_text="Writing").get_attribute("value") or ""
    )
