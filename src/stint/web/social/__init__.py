"""Social login's routes and page parts: /login/<name>/, /complete/<name>/, /disconnect/<name>/."""
