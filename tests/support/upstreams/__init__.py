"""Local HTTP servers that answer as upstream providers do (GitHub, Google, GitLab, Microsoft, any
OpenID provider, an OAuth 1.0a provider), for the social-login tests."""
