"""The device authorization grant (RFC 8628): a device without a browser gets tokens once a
person approves, on another device, the code it shows.

``user_code`` makes and reads the codes people type (§6.1); ``ports`` the request's record and
its store; ``authorization`` the device authorization endpoint (§3.1-3.2); ``verification`` what
the /device page does (§3.3); the token step is ``stint.protocol.grants.device_code`` (§3.4-3.5).
"""

from __future__ import annotations

__all__ = ["DEVICE_CODE_GRANT"]

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"  # RFC 8628 §3.4
