"""/: what this server is, to a visitor; to a signed-in person, the timer and their totals."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stint.accounts.models import User
from stint.protocol.oidc.ports import ClaimsSource
from stint.timetracking.errors import (
    ActivityNameTakenError,
    NotFoundError,
    TimerAlreadyRunningError,
    ValidationProblem,
)
from stint.timetracking.models import Activity, ActivityFields
from stint.timetracking.service import MAX_NAME, MAX_TEXT, TimeTracking
from stint.web.negotiation import JSON, choose_media_type
from stint.web.pages.common import PageContext

__all__ = ["home_routes"]

HTML = "text/html"
# RFC 9110 §12.5.5: what / answers depends on the Accept header.
_VARY = {"Vary": "Accept"}
# Messages after a redirect, by a fixed key (the template words them): nothing from the query
# string reaches the page.
NOTICES = frozenset({"started", "stopped", "already-running", "no-timer"})
_ACTIVITY_PAGE = 200
_MOST_ACTIVITIES = 1000  # the chooser lists at most this many (the API pages through all)


def home_routes(
    ctx: PageContext, timetracking: TimeTracking, profiles: ClaimsSource
) -> list[BaseRoute]:

    async def zone_of(user: User) -> ZoneInfo | None:
        """The time zone the person's profile names (its ``zoneinfo`` claim), if any."""
        name = (await profiles.claims(user.id)).get("zoneinfo")
        try:
            return ZoneInfo(name) if isinstance(name, str) and name else None
        except (ZoneInfoNotFoundError, ValueError):
            return None

    async def chooser(user: User) -> list[Activity]:
        """The activities a timer can start on: every one not archived, by name."""
        found: list[Activity] = []
        after = 0
        while len(found) < _MOST_ACTIVITIES:
            page = await timetracking.activities(user.id, after_id=after, limit=_ACTIVITY_PAGE)
            found.extend(a for a in page if not a.archived)
            if len(page) < _ACTIVITY_PAGE:
                break
            after = page[-1].id
        return sorted(found[:_MOST_ACTIVITIES], key=lambda a: a.name.casefold())

    async def running_of(user: User, zone: ZoneInfo, now: datetime) -> dict[str, Any] | None:
        entry = await timetracking.running_timer(user.id)
        if entry is None:
            return None
        try:
            name = (await timetracking.activity(user.id, entry.activity_id)).name
        except NotFoundError:  # deleted between the two reads
            return None
        # Rounded as the totals are (reports.summarise), so that the two agree.
        elapsed = max(round((now - entry.start).total_seconds()), 0)
        return {
            "id": entry.id,
            "activity": name,
            "note": entry.note,
            "since": _clock_time(entry.start, zone, now),
            "since_iso": entry.start.isoformat(),
            "elapsed": _duration(elapsed),
            "elapsed_iso": _iso_duration(elapsed),
        }

    async def dashboard(
        request: Request,
        user: User,
        *,
        errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        profile_zone = await zone_of(user)
        zone = profile_zone or ZoneInfo("UTC")
        totals = await timetracking.today_and_this_week(user.id, zone)
        week = totals.week
        iso_year, iso_week, _ = week.monday.isocalendar()
        notice = request.query_params.get("notice", "")
        context = {
            "user": user,
            "running": await running_of(user, zone, totals.now),
            "activities": await chooser(user),
            "today": {
                "text": _duration(totals.today_seconds),
                "iso": _iso_duration(totals.today_seconds),
            },
            "week": {
                "text": _duration(totals.week_seconds),
                "iso": _iso_duration(totals.week_seconds),
            },
            "day": week.today.isoformat(),
            "week_name": f"{iso_year}-W{iso_week:02d}",
            "week_first": week.monday.isoformat(),
            "week_last": (week.monday + timedelta(days=6)).isoformat(),
            "as_of": _clock_time(totals.now, zone, totals.now),
            "zone": zone.key,
            "zone_from_profile": profile_zone is not None,
            "notice": notice if notice in NOTICES else None,
            "errors": errors or {},
            "form": form or {},
            "max_name": MAX_NAME,
            "max_note": MAX_TEXT,
        }
        return ctx.pages.render(request, "home.html", context, status)

    async def home(request: Request) -> Response:
        if choose_media_type(request.headers.get("accept"), (JSON, HTML)) != HTML:
            # Only a client that prefers HTML gets the page; an API client gets the 404 problem
            # document it got here before there was a page.
            raise HTTPException(404, headers=_VARY)
        signed_in = await ctx.signed_in(request)
        page: Response
        if signed_in is None:
            page = ctx.pages.render(request, "home.html", {"user": None})
        else:
            page = await dashboard(request, signed_in[1])
        page.headers.update(_VARY)
        return page

    async def start(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next="/")
        if isinstance(checked, Response):
            return checked
        form, _, user = checked
        try:
            activity_id = await _chosen_activity(timetracking, user, form, await chooser(user))
            await timetracking.start_timer(user.id, activity_id, form.get("note", ""))
        except TimerAlreadyRunningError:
            return RedirectResponse("/?notice=already-running", status_code=303)
        except _FormProblem as exc:
            return await dashboard(request, user, errors=exc.errors, form=form, status=400)
        except ValidationProblem as exc:
            # Worded by the template, by field: the domain's English messages are the API's.
            errors = {field: "invalid" for field in exc.problems}
            return await dashboard(request, user, errors=errors, form=form, status=400)
        return RedirectResponse("/?notice=started", status_code=303)

    async def stop(request: Request) -> Response:
        checked = await ctx.signed_in_post(request, login_next="/")
        if isinstance(checked, Response):
            return checked
        form, _, user = checked
        try:
            # The entry the page showed, not whatever runs now: a timer started meanwhile in
            # another tab keeps running. The service scopes the id to this person's entries.
            await timetracking.stop_entry(user.id, int(form.get("entry", "")), None)
        except (ValueError, NotFoundError):
            return RedirectResponse("/?notice=no-timer", status_code=303)
        return RedirectResponse("/?notice=stopped", status_code=303)

    return [
        Route("/", home, methods=["GET"]),
        Route("/timer/start", start, methods=["POST"]),
        Route("/timer/stop", stop, methods=["POST"]),
    ]


class _FormProblem(Exception):
    """The start form names no usable activity; ``errors`` by field, as keys the page words."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


async def _chosen_activity(
    timetracking: TimeTracking, user: User, form: dict[str, str], listed: list[Activity]
) -> int:
    """The activity the form names: a new one by name (an existing one of that name is
    reused), else the one picked from the list."""
    name = form.get("new_activity", "").strip()
    if name:
        same = next((a for a in listed if a.name == name), None)
        if same is not None:
            return same.id
        try:
            return (await timetracking.create_activity(user.id, ActivityFields(name))).id
        except ActivityNameTakenError:  # an archived activity's name
            raise _FormProblem({"new_activity": "taken"}) from None
        except ValidationProblem:
            raise _FormProblem({"new_activity": "invalid"}) from None
    try:
        return int(form.get("activity", ""))
    except ValueError:
        raise _FormProblem({"activity": "missing"}) from None


def _duration(seconds: int) -> str:
    """Hours, minutes and seconds as a stopwatch shows them, 1:05:09, in every language."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _iso_duration(seconds: int) -> str:
    """ISO 8601 duration for <time datetime>: PT1H5M9S."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S"


def _clock_time(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """The local wall-clock time, 24-hour (HH:MM), with the date when it is not today's."""
    local = moment.astimezone(zone)
    today = now.astimezone(zone).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")
