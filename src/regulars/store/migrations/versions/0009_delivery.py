"""delivery: webhook endpoints, the deliveries of every event, and when an event was dispatched

The delivery worker (services/engagement/delivery.py) turns each outbox event into one
delivery per target and sends them; ``outbox.dispatched_at`` says the event was turned.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.String(length=1000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("previous_secret", sa.Text(), nullable=True),
        sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("event_id", Id, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=320), nullable=False),
        sa.Column("endpoint_id", Id, nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("peer_status", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'sent', 'failed', 'dead')", name=op.f("ck_deliveries_state")
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("event_id", "channel", "target", name=op.f("uq_deliveries_event_id")),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.create_index("ix_deliveries_due", ["state", "next_attempt_at"], unique=False)
        batch.create_index("ix_deliveries_endpoint_id", ["endpoint_id"], unique=False)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_outbox_undispatched", ["dispatched_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_undispatched")
        batch.drop_column("dispatched_at")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_endpoint_id")
        batch.drop_index("ix_deliveries_due")
    op.drop_table("deliveries")
    op.drop_table("webhook_endpoints")
