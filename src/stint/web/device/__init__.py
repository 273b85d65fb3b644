"""The device flow's web side (RFC 8628): the /device page and its user-code throttle; the
feature module ``stint.web.features.device`` mounts them with the device authorization
endpoint."""
