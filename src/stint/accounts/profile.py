"""A user's profile: the OpenID Connect standard claims (Core §5.1) a user may fill in.

Values are checked here, once, when they are set, so every claim a client later receives has
the type and shape §5.1 specifies.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Mapping
from datetime import date
from typing import Any

__all__ = ["ADDRESS_FIELDS", "PROFILE_FIELDS", "ProfileError", "checked_profile", "email_key"]

_TEXT = ("name", "given_name", "family_name", "middle_name", "nickname", "gender")
_URLS = ("profile", "picture", "website")
PROFILE_FIELDS = (
    *_TEXT,
    *_URLS,
    "email",
    "email_verified",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
)
ADDRESS_FIELDS = ("street_address", "locality", "region", "postal_code", "country")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}\Z")
_PHONE = re.compile(r"\+[1-9][0-9 ]{4,20}(;ext=[0-9]{1,10})?\Z")  # E.164 (§5.1)
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Z]{2}|-[0-9]{3})?\Z")  # BCP47 language-region


class ProfileError(Exception):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def checked_profile(values: Mapping[str, Any]) -> dict[str, Any]:
    """The profile with empty values dropped; ProfileError naming every bad field."""
    problems: dict[str, str] = {}
    profile: dict[str, Any] = {}
    for name, value in values.items():
        if name not in PROFILE_FIELDS:
            problems[name] = "is not a profile field"
        elif value in (None, "", {}):
            continue
        elif name in ("email_verified", "phone_number_verified"):
            if not isinstance(value, bool):
                problems[name] = "must be true or false"
            else:
                profile[name] = value
        elif name == "address":
            address = _address(value, problems)
            if address:
                profile[name] = address
        elif not isinstance(value, str) or len(value) > 200:
            problems[name] = "must be text of at most 200 characters"
        elif (problem := _problem(name, value.strip())) is not None:
            problems[name] = problem
        else:
            profile[name] = value.strip()
    if problems:
        raise ProfileError(problems)
    return profile


def _problem(name: str, value: str) -> str | None:
    if name in _URLS and not value.startswith("https://"):
        return "must be an https:// URL"
    if name == "email" and not _EMAIL.match(value):
        return "is not an email address"
    if name == "phone_number" and not _PHONE.match(value):
        return "must be in E.164 form, such as +1 555 0100"
    if name == "locale" and not _LOCALE.match(value):
        return "must be a language tag such as en-GB"
    if name == "zoneinfo" and value not in zoneinfo.available_timezones():
        return "is not a time zone name such as Europe/Paris"
    if name == "birthdate":
        try:
            date.fromisoformat(value) if len(value) != 4 else int(value)
        except ValueError:
            return "must be YYYY-MM-DD (or a year, YYYY)"
    return None


def _address(value: Any, problems: dict[str, str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        problems["address"] = "must be an object"
        return {}
    address = {}
    for part, text in value.items():
        if part == "formatted":
            continue  # derived below from the other parts
        if part not in ADDRESS_FIELDS or not isinstance(text, str) or len(text) > 200:
            problems["address"] = f"{part} is not an address field of at most 200 characters"
        elif text.strip():
            address[part] = text.strip()
    if address:
        # §5.1.1: formatted is the full address for display, lines joined by newlines.
        lines = [address.get("street_address", ""), address.get("locality", "")]
        lines += [" ".join(filter(None, (address.get("region"), address.get("postal_code"))))]
        lines += [address.get("country", "")]
        address["formatted"] = "\n".join(line for line in lines if line)
    return address


def email_key(email: str) -> str:
    """The form addresses are compared in: NFKC case-folded, as usernames are."""
    return unicodedata.normalize("NFKC", email.strip()).casefold()
