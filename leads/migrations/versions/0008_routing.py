"""routing: assignments' life cycle, the queue, decisions, webhook endpoints, notifications

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_LIVE = sa.text("state IN ('offered', 'accepted')")


def _reps_and_leads() -> None:
    with op.batch_alter_table("reps") as batch:
        batch.add_column(
            sa.Column("segments", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(
            sa.Column("available", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("is_manager", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("rr_credit", sa.Float(), nullable=False, server_default=sa.text("0"))
        )
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("country", sa.String(64), nullable=True))
        batch.add_column(sa.Column("language", sa.String(16), nullable=True))


def _assignments() -> None:
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(
            sa.Column("attempt", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch.add_column(sa.Column("band", sa.String(10), nullable=True))
        batch.add_column(sa.Column("probability", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("reasons", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch.add_column(sa.Column("segment", sa.String(100), nullable=True))
        batch.add_column(sa.Column("territory", sa.String(100), nullable=True))
        batch.add_column(sa.Column("language", sa.String(16), nullable=True))
        batch.add_column(sa.Column("sla_minutes", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "excluded_rep_ids", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
        batch.add_column(sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("disposition", sa.String(20), nullable=True))
        batch.add_column(sa.Column("disposition_reason", sa.Text(), nullable=True))
    op.create_index(
        "uq_assignments_live_lead",
        "assignments",
        ["lead_id"],
        unique=True,
        sqlite_where=_LIVE,
        postgresql_where=_LIVE,
    )
    op.create_index("ix_assignments_state_sla_due_at", "assignments", ["state", "sla_due_at"])


def _queue_and_decisions() -> None:
    op.create_table(
        "routing_queue",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("segment", sa.String(100), nullable=False),
        sa.Column("team", sa.String(100), nullable=True),
        sa.Column("territory", sa.String(100), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("band", sa.String(10), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("excluded_rep_ids", sa.JSON(), nullable=False),
        sa.Column("preferred_rep_id", sa.Integer(), sa.ForeignKey("reps.id"), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("why", sa.String(200), nullable=False),
        sa.UniqueConstraint("lead_id", name="uq_routing_queue_lead_id"),
    )
    op.create_index("ix_routing_queue_queued_at", "routing_queue", ["queued_at"])
    op.create_table(
        "route_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("segment", sa.String(100), nullable=True),
        sa.Column("band", sa.String(10), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("sequence", sa.String(100), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_route_decisions_lead_id_decided_at", "route_decisions", ["lead_id", "decided_at"]
    )


def _notifications() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("rep_id", sa.Integer(), sa.ForeignKey("reps.id"), nullable=True),
        sa.Column("team", sa.String(100), nullable=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_webhook_endpoints_rep_id", "webhook_endpoints", ["rep_id"])
    op.create_index("ix_webhook_endpoints_team", "webhook_endpoints", ["team"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("target", sa.String(2048), nullable=False),
        sa.Column(
            "endpoint_id", sa.Integer(), sa.ForeignKey("webhook_endpoints.id"), nullable=True
        ),
        sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column("assignment_id", sa.Integer(), sa.ForeignKey("assignments.id"), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("key", name="uq_notifications_key"),
    )
    op.create_index("ix_notifications_lead_id", "notifications", ["lead_id"])
    op.create_index(
        "ix_notifications_status_next_attempt_at", "notifications", ["status", "next_attempt_at"]
    )


def upgrade() -> None:
    _reps_and_leads()
    _assignments()
    _queue_and_decisions()
    _notifications()


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("webhook_endpoints")
    op.drop_table("route_decisions")
    op.drop_table("routing_queue")
    op.drop_index("ix_assignments_state_sla_due_at", table_name="assignments")
    op.drop_index("uq_assignments_live_lead", table_name="assignments")
    with op.batch_alter_table("assignments") as batch:
        for name in (
            "disposition_reason",
            "disposition",
            "ended_at",
            "excluded_rep_ids",
            "sla_minutes",
            "language",
            "territory",
            "segment",
            "reasons",
            "probability",
            "band",
            "attempt",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("language")
        batch.drop_column("country")
    with op.batch_alter_table("reps") as batch:
        for name in ("rr_credit", "is_manager", "available", "segments"):
            batch.drop_column(name)
