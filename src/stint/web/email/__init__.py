"""Sign-up, email verification and password reset by mail (the email feature's pages)."""
