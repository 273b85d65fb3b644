"""Server-rendered pages: sign-in, consent, account and developer apps."""
