"""Passkeys on the pages: enrolment on /account/security, sign-in on /login, second factor."""
