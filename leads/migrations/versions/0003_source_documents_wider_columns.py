"""source documents: room for pending hashes and long paths

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_documents") as batch:
        batch.alter_column("content_hash", type_=sa.String(80), existing_nullable=False)
        batch.alter_column("root", type_=sa.Text(), existing_nullable=False)
        batch.alter_column("path", type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("source_documents") as batch:
        batch.alter_column("path", type_=sa.String(1000), existing_nullable=False)
        batch.alter_column("root", type_=sa.String(1000), existing_nullable=False)
        batch.alter_column("content_hash", type_=sa.String(64), existing_nullable=False)
