"""nurture: sequences and their versions, templates, enrollments, the send outbox, the step log

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 02:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ACTIVE = sa.text("status = 'active'")


def _sequences() -> None:
    op.create_table(
        "nurture_sequences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "nurture_sequence_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "sequence_id", sa.Integer(), sa.ForeignKey("nurture_sequences.id"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "sequence_id", "version", name="uq_nurture_versions_sequence_version"
        ),
    )
    op.create_table(
        "nurture_templates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def _enrollments() -> None:
    op.create_table(
        "nurture_enrollments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column(
            "sequence_id", sa.Integer(), sa.ForeignKey("nurture_sequences.id"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("step_id", sa.String(100), nullable=True),
        sa.Column("visit", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exit_reason", sa.String(40), nullable=True),
        sa.Column("steps_run", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "decision_id", sa.Integer(), sa.ForeignKey("route_decisions.id"), nullable=True
        ),
    )
    op.create_index("ix_nurture_enrollments_lead_id", "nurture_enrollments", ["lead_id"])
    op.create_index(
        "uq_nurture_enrollments_active",
        "nurture_enrollments",
        ["lead_id", "sequence_id"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    op.create_index(
        "ix_nurture_enrollments_status_next_run_at",
        "nurture_enrollments",
        ["status", "next_run_at"],
    )
    op.create_index(
        "ix_nurture_enrollments_sequence_id_version",
        "nurture_enrollments",
        ["sequence_id", "version"],
    )


def _sends_and_log() -> None:
    op.create_table(
        "nurture_sends",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "enrollment_id",
            sa.Integer(),
            sa.ForeignKey("nurture_enrollments.id"),
            nullable=False,
        ),
        sa.Column("step_id", sa.String(100), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), sa.ForeignKey("leads.id"), nullable=False),
        sa.Column(
            "sequence_id", sa.Integer(), sa.ForeignKey("nurture_sequences.id"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(100), nullable=False),
        sa.Column("variant", sa.String(40), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("to_email", sa.String(320), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clicked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint(
            "enrollment_id", "step_id", "visit", name="uq_nurture_sends_enrollment_step_visit"
        ),
    )
    op.create_index("ix_nurture_sends_enrollment_id", "nurture_sends", ["enrollment_id"])
    op.create_index(
        "ix_nurture_sends_status_next_attempt_at", "nurture_sends", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_nurture_sends_lead_id_created_at", "nurture_sends", ["lead_id", "created_at"]
    )
    op.create_table(
        "nurture_step_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "enrollment_id",
            sa.Integer(),
            sa.ForeignKey("nurture_enrollments.id"),
            nullable=False,
        ),
        sa.Column(
            "sequence_id", sa.Integer(), sa.ForeignKey("nurture_sequences.id"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(100), nullable=True),
        sa.Column("variant", sa.String(40), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("detail", sa.String(300), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_nurture_step_log_enrollment_id", "nurture_step_log", ["enrollment_id"])
    op.create_index(
        "ix_nurture_step_log_sequence_version_step",
        "nurture_step_log",
        ["sequence_id", "version", "step_id"],
    )


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("timezone", sa.String(64), nullable=True))
    _sequences()
    _enrollments()
    _sends_and_log()


def downgrade() -> None:
    for index, table in (
        ("ix_nurture_step_log_sequence_version_step", "nurture_step_log"),
        ("ix_nurture_step_log_enrollment_id", "nurture_step_log"),
        ("ix_nurture_sends_lead_id_created_at", "nurture_sends"),
        ("ix_nurture_sends_status_next_attempt_at", "nurture_sends"),
        ("ix_nurture_sends_enrollment_id", "nurture_sends"),
        ("ix_nurture_enrollments_sequence_id_version", "nurture_enrollments"),
        ("ix_nurture_enrollments_status_next_run_at", "nurture_enrollments"),
        ("uq_nurture_enrollments_active", "nurture_enrollments"),
        ("ix_nurture_enrollments_lead_id", "nurture_enrollments"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "nurture_step_log",
        "nurture_sends",
        "nurture_enrollments",
        "nurture_templates",
        "nurture_sequence_versions",
        "nurture_sequences",
    ):
        op.drop_table(table)
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("timezone")
