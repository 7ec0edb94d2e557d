"""Alembic environment: runs migrations against the configured URL."""

from alembic import context

from leads.db import make_engine
from leads.models import Base

config = context.config


def run() -> None:
    """Run migrations online against the configured database."""
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
