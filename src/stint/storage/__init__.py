"""SQLAlchemy (async) stores that implement the domains' ports; Alembic migrations; Redis."""
