"""A deployment's CIBA limits: request lifetimes, the polling interval, binding messages."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_POLICY", "CibaPolicy"]


@dataclass(frozen=True, slots=True)
class CibaPolicy:
    default_expiry_seconds: int = 300  # expires_in when the client asks for none (§7.3)
    max_expiry_seconds: int = 1800  # requested_expiry above this is lowered to it (§7.1)
    interval_seconds: int = 5  # §7.3: the minimum wait between polls (5 is the default)
    slow_down_seconds: int = 5  # RFC 8628 §3.5, CIBA §11: added at each slow_down
    binding_message_max_length: int = 64  # §7.1: "relatively short", shown on the device
    # §4 backchannel_user_code_parameter_supported: off by default; when on, a client that
    # registered backchannel_user_code_parameter sends the person's password as user_code.
    user_code_supported: bool = False
    delivery_modes: tuple[str, ...] = ("poll", "ping", "push")  # the modes the deployment offers


DEFAULT_POLICY = CibaPolicy()
