"""member scores: lifetime value, P(alive), value at risk, expected loss date per member

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_scores",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("recency_days", sa.Integer(), nullable=False),
        sa.Column("age_days", sa.Integer(), nullable=False),
        sa.Column("probability_alive", sa.Float(precision=53), nullable=False),
        sa.Column("expected_purchases", sa.Float(precision=53), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("clv", sa.BigInteger(), nullable=False),
        sa.Column("value_at_risk", sa.BigInteger(), nullable=False),
        sa.Column("expected_loss_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_scores_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_scores")),
        sa.UniqueConstraint("member_id", name="uq_member_scores_member"),
    )
    op.create_index(
        "ix_member_scores_value_at_risk", "member_scores", ["value_at_risk"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_member_scores_value_at_risk", table_name="member_scores")
    op.drop_table("member_scores")
