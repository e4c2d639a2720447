"""subscription scores: each active contract's churn outlook written back

``subscription_scores`` holds, per active contract as of the last scoring, P(cancel within
30 and 90 days), the median residual life in days, the loyalty index and its band, and
which model gave them (Cox, or Weibull where the Cox baseline ends).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscription_scores",
        sa.Column("subscription_id", Id, autoincrement=False, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model", sa.String(length=10), nullable=False),
        sa.Column("tenure_days", sa.Integer(), nullable=False),
        sa.Column("cancel_probability_30d", sa.Float(precision=53), nullable=False),
        sa.Column("cancel_probability_90d", sa.Float(precision=53), nullable=False),
        sa.Column("median_residual_days", sa.Float(precision=53), nullable=True),
        sa.Column("loyalty_index", sa.Float(precision=53), nullable=True),
        sa.Column("loyalty_band", sa.String(length=10), nullable=True),
        sa.CheckConstraint(
            "model in ('cox', 'weibull')", name=op.f("ck_subscription_scores_model")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_subscription_scores_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_scores_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", name=op.f("pk_subscription_scores")),
    )
    op.create_index(
        "ix_subscription_scores_member", "subscription_scores", ["member_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_subscription_scores_member", table_name="subscription_scores")
    op.drop_table("subscription_scores")
