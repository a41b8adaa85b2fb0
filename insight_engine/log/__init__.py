"""The insight log: what was shared, with whom, and what followed (SQLAlchemy + Alembic)."""
