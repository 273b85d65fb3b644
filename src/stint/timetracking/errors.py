"""Domain errors; the web layer maps each to one problem type."""

from __future__ import annotations

__all__ = [
    "ActivityHasEntriesError",
    "ActivityNameTakenError",
    "NotFoundError",
    "StaleVersionError",
    "TimeTrackingError",
    "TimerAlreadyRunningError",
    "UnknownActivityError",
    "ValidationProblem",
]


class TimeTrackingError(Exception):
    """Base of the domain's errors."""


class NotFoundError(TimeTrackingError):
    """No such object among the caller's own; another user's object is reported the same way."""


class ValidationProblem(TimeTrackingError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


class UnknownActivityError(ValidationProblem):
    def __init__(self) -> None:
        super().__init__({"activity": "no such activity"})


class ActivityNameTakenError(TimeTrackingError):
    """The user already has an activity with this name."""


class ActivityHasEntriesError(TimeTrackingError):
    def __init__(self, entry_count: int) -> None:
        super().__init__(f"the activity has {entry_count} time entries")
        self.entry_count = entry_count


class TimerAlreadyRunningError(TimeTrackingError):
    def __init__(self, running_entry_id: int | None) -> None:
        super().__init__("a timer is already running")
        self.running_entry_id = running_entry_id


class StaleVersionError(TimeTrackingError):
    """The object changed since the version the client based its write on."""
