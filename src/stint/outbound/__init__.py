"""Outbound HTTP to URLs that clients supply, guarded against SSRF."""
