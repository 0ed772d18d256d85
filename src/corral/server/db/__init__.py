"""SQLAlchemy models, engine/session and Alembic migrations."""
