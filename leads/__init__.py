"""Store of record: SQLAlchemy models, repositories and migrations."""
