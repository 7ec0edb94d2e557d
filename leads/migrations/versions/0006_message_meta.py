"""messages: citations, actions and other facts of a turn

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("meta", sa.JSON(), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("anonymous_id", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("anonymous_id")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("meta")
