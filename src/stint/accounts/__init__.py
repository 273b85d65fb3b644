"""User accounts: registration, passwords, authentication and its throttling."""
