"""The home page at /: what a visitor learns and where they go; a signed-in person's timer
(started and stopped from the page, CSRF-checked) and their totals for today and this week."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from starlette.applications import Starlette

from stint.settings import Settings
from stint.web.app import FEATURES, FeatureBuilder, create_app
from stint.web.core import Core
from stint.web.features import Feature, home
from tests.conftest import FAST_HASHING, Account, problem
from tests.http.tracking import entries, new_activity, new_entry
from tests.support.clock import Clock
from tests.support.pages import csrf_of, sign_in, text_of

pytestmark = pytest.mark.anyio

# What a browser sends: the page is for clients that ask for HTML.
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
# Wednesday 25 November 2026, 10:00 UTC (19:00 in Tokyo): ISO week 48, Monday 23 to Sunday 29.
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _utc(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC).isoformat()


@pytest.fixture
def clock() -> Clock:
    return Clock(WEDNESDAY)


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[Starlette]:
    """The app, its home page's timer and totals on the test's clock."""

    def home_on_clock(core: Core, _settings: Settings) -> Feature:
        return home.build(core, clock=clock)

    features: list[FeatureBuilder] = [
        home_on_clock if builder is home.feature else builder for builder in FEATURES
    ]
    application = create_app(settings, hashing=FAST_HASHING, features=features)
    async with application.router.lifespan_context(application):
        yield application


async def _home(client: httpx.AsyncClient) -> httpx.Response:
    page = await client.get("/", headers=BROWSER)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    return page


def _field(page: httpx.Response, name: str) -> str:
    """What a reader sees in the element marked ``data-field=name`` (none of its kind inside)."""
    marker = page.text.index(f'data-field="{name}"')
    opening = page.text.rindex("<", 0, marker)
    tag = re.match(r"<(\w+)", page.text[opening:])
    assert tag is not None
    inner = page.text[page.text.index(">", marker) + 1 : page.text.index(f"</{tag[1]}>", marker)]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inner)).split())


async def test_a_visitor_learns_what_this_server_is_and_where_to_go(
    client: httpx.AsyncClient,
) -> None:
    page = await _home(client)
    assert page.headers["vary"] == "Accept"  # the same URL answers API clients otherwise
    text = text_of(page)
    assert "time" in text and "OAuth 2.0" in text and "OpenID Connect" in text
    for href in ('"/login?next=%2F"', '"/signup"', '"/api/docs"', '"/developer/apps"'):
        assert f"href={href}" in page.text, href
    # The links lead somewhere real.
    assert (await client.get("/api/docs")).status_code == 200
    developer = await client.get("/developer/apps", headers=BROWSER)
    assert developer.status_code == 303
    assert developer.headers["location"].startswith("/login?next=")
    signing_in = await client.get("/login?next=%2F", headers=BROWSER)
    assert 'name="next" value="/"' in signing_in.text
    assert "Timer" not in text  # nothing of anyone's time


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "application/problem+json", "image/png"]
)
async def test_api_clients_still_get_the_404_problem_at_the_root(
    client: httpx.AsyncClient, alice: Account, accept: str | None
) -> None:
    headers = {**alice.bearer, **({"Accept": accept} if accept else {})}
    if accept is None:
        client.headers.pop("Accept", None)
    answer = await client.get("/", headers=headers)
    assert problem(answer, 404)["title"] == "Not Found"
    assert answer.headers["vary"] == "Accept"
    await sign_in(client, "alice")  # a browser session changes nothing for them either
    assert problem(await client.get("/", headers=headers), 404)["title"] == "Not Found"


async def test_start_and_stop_the_timer_from_the_home_page(
    client: httpx.AsyncClient, alice: Account, clock: Clock
) -> None:
    csrf = await sign_in(client, "alice")
    page = await _home(client)
    assert "No timer is running." in text_of(page)
    assert _field(page, "today") == "0:00:00"
    assert 'action="/timer/start"' in page.text

    started = await client.post(
        "/timer/start",
        data={"csrf_token": csrf, "new_activity": "Writing <draft>", "note": "ch. 2"},
    )
    assert started.status_code == 303
    assert started.headers["location"] == "/?notice=started"
    clock.advance(90 * 60)
    page = await _home(client)
    assert "Writing &lt;draft&gt;" in page.text  # the activity's name, escaped
    assert "Running on Writing <draft> since 10:00" in text_of(page)
    assert _field(page, "elapsed") == "1:30:00"
    assert _field(page, "today") == "1:30:00"  # a running timer counts up to now
    assert 'action="/timer/stop"' in page.text
    assert '<script src="/static/timer.js" defer></script>' in page.text  # counts up meanwhile

    stopped = await client.post(
        "/timer/stop",
        data={"csrf_token": csrf, "entry": str((await entries(client, alice))[0]["id"])},
    )
    assert stopped.status_code == 303
    assert stopped.headers["location"] == "/?notice=stopped"
    clock.advance(60 * 60)  # stopped: the total no longer grows
    page = await _home(client)
    assert "No timer is running." in text_of(page)
    assert "timer.js" not in page.text
    assert _field(page, "today") == "1:30:00"
    assert _field(page, "week") == "1:30:00"
    (entry,) = await entries(client, alice)  # what the API sees: the same record
    assert (entry["start"], entry["end"], entry["note"]) == (
        _utc(25, 10),
        _utc(25, 11, 30),
        "ch. 2",
    )


async def test_the_timer_forms_need_the_csrf_field(
    client: httpx.AsyncClient, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    writing = await new_activity(client, alice, "Writing")
    refused = await client.post("/timer/start", data={"activity": str(writing["id"])})
    assert refused.status_code == 403
    assert await entries(client, alice) == []

    started = await client.post(
        "/timer/start", data={"csrf_token": csrf, "activity": str(writing["id"])}
    )
    assert started.status_code == 303
    (running,) = await entries(client, alice)
    refused = await client.post("/timer/stop", data={"entry": str(running["id"])})
    assert refused.status_code == 403
    assert (await entries(client, alice))[0]["running"] is True


async def test_the_timer_forms_need_a_session(client: httpx.AsyncClient, alice: Account) -> None:
    token = csrf_of(await client.get("/login"))  # a browser that never signed in
    answer = await client.post("/timer/start", data={"csrf_token": token, "new_activity": "X"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2F"
    assert await entries(client, alice) == []


async def test_a_second_start_and_an_empty_choice_are_explained(
    client: httpx.AsyncClient, alice: Account
) -> None:
    csrf = await sign_in(client, "alice")
    writing = await new_activity(client, alice, "Writing")
    await new_activity(client, alice, "Old", archived=True)
    page = await _home(client)
    assert f'<option value="{writing["id"]}"' in page.text
    assert ">Old</option>" not in page.text  # archived: not offered

    unchosen = await client.post("/timer/start", data={"csrf_token": csrf})
    assert unchosen.status_code == 400
    assert 'id="activity-error"' in unchosen.text
    archived_name = await client.post(
        "/timer/start", data={"csrf_token": csrf, "new_activity": "Old"}
    )
    assert archived_name.status_code == 400
    assert 'id="new_activity-error"' in archived_name.text
    assert await entries(client, alice) == []

    form = {"csrf_token": csrf, "activity": str(writing["id"])}
    assert (await client.post("/timer/start", data=form)).status_code == 303
    again = await client.post("/timer/start", data={**form, "new_activity": "Writing"})
    assert again.headers["location"] == "/?notice=already-running"
    assert len(await entries(client, alice)) == 1
    page = await client.get(again.headers["location"], headers=BROWSER)
    assert "A timer was already running" in text_of(page)


async def test_today_and_this_week_count_local_days_of_the_iso_week(
    client: httpx.AsyncClient, app: Starlette, alice: Account
) -> None:
    await sign_in(client, "alice")
    writing = (await new_activity(client, alice, "Writing"))["id"]
    for start, end in [
        (_utc(22, 9), _utc(22, 11)),  # Sunday of the week before, in UTC and in Tokyo
        (_utc(22, 20), _utc(22, 21)),  # Sunday in UTC, Monday 05:00 in Tokyo
        (_utc(23, 9), _utc(23, 10)),  # Monday
        (_utc(24, 20), _utc(24, 21)),  # Tuesday in UTC, Wednesday 05:00 in Tokyo
        (_utc(25, 8), _utc(25, 9)),  # Wednesday, today
        (_utc(30, 8), _utc(30, 9)),  # next Monday
    ]:
        await new_entry(client, alice, writing, start, end)

    page = await _home(client)
    assert (_field(page, "today"), _field(page, "week")) == ("1:00:00", "3:00:00")
    assert "2026-W48" in text_of(page) and "2026-11-23 \N{EN DASH} 2026-11-29" in text_of(page)
    assert "in UTC: your profile names no time zone" in _field(page, "zone")

    await app.state.runtime.claims.update(alice.id, {"zoneinfo": "Asia/Tokyo"})
    page = await _home(client)
    assert (_field(page, "today"), _field(page, "week")) == ("2:00:00", "4:00:00")
    assert "in Asia/Tokyo time, the time zone of your profile" in _field(page, "zone")
    assert "As of 19:00" in _field(page, "zone")
