"""handoffs: reps' calendar settings, meetings, chats taken over by reps, keys linked to reps

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_REP_CALENDAR = (
    ("working_days", sa.JSON(), sa.text("'[\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]'")),
    ("work_start", sa.String(5), sa.text("'09:00'")),
    ("work_end", sa.String(5), sa.text("'17:00'")),
    ("meeting_minutes", sa.Integer(), sa.text("30")),
    ("buffer_minutes", sa.Integer(), sa.text("0")),
    ("notice_minutes", sa.Integer(), sa.text("120")),
    ("horizon_days", sa.Integer(), sa.text("14")),
)


def upgrade() -> None:
    with op.batch_alter_table("reps") as batch:
        for name, type_, default in _REP_CALENDAR:
            # The server default fills existing rows; the models set values for new ones.
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=default))
    with op.batch_alter_table("reps") as batch:
        for name, _type, _default in _REP_CALENDAR:
            batch.alter_column(name, server_default=None)
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("rep_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_api_keys_rep_id_reps", "reps", ["rep_id"], ["id"])
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(
            sa.Column("handoff_requested_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("rep_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("taken_over_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_conversations_rep_id_reps", "reps", ["rep_id"], ["id"])
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.ForeignKeyConstraint(["rep_id"], ["reps.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rep_id", "starts_at", name="uq_meetings_rep_id_starts_at"),
    )
    op.create_index("ix_meetings_lead_id", "meetings", ["lead_id"])
    op.create_index("ix_meetings_rep_id_ends_at", "meetings", ["rep_id", "ends_at"])


def downgrade() -> None:
    op.drop_index("ix_meetings_rep_id_ends_at", table_name="meetings")
    op.drop_index("ix_meetings_lead_id", table_name="meetings")
    op.drop_table("meetings")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint("fk_conversations_rep_id_reps", type_="foreignkey")
        batch.drop_column("taken_over_at")
        batch.drop_column("rep_id")
        batch.drop_column("handoff_requested_at")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("fk_api_keys_rep_id_reps", type_="foreignkey")
        batch.drop_column("rep_id")
    with op.batch_alter_table("reps") as batch:
        for name, _type, _default in reversed(_REP_CALENDAR):
            batch.drop_column(name)
