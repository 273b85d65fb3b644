"""OAuth 2.0 endpoints, each a plain object taking typed requests and returning response bodies."""
