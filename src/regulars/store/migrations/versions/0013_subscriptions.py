"""subscriptions: plans, contracts, plan changes, monthly bills, exit-survey answers

A member's contracts (issue 17): the plan catalogue, each contract with its start, commitment
and cancellation, the plan changes that move it, one bill per contract and month with its
usage, and the exit survey's answers with the invitation that asked them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 03:12:45
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscription_bills",
        sa.Column("subscription_id", Id, autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("data_gb", sa.Float(precision=53), nullable=True),
        sa.Column("voice_minutes", sa.Float(precision=53), nullable=True),
        sa.Column("usage", sa.Float(precision=53), nullable=True),
        sa.PrimaryKeyConstraint("subscription_id", "month", name=op.f("pk_subscription_bills")),
    )
    op.create_table(
        "subscription_plans",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("monthly_fee", sa.BigInteger(), nullable=False),
        sa.Column("commitment_months", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_plans")),
        sa.UniqueConstraint("code", name=op.f("uq_subscription_plans_code")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("plan_id", Id, nullable=False),
        sa.Column("monthly_fee", sa.BigInteger(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("committed_until", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=20), nullable=True),
        sa.Column("competitor", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("device", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "cancel_reason in ('price', 'network', 'service', 'competitor', 'moving', 'other', 'non_payment')",
            name=op.f("ck_subscriptions_cancel_reason"),
        ),
        sa.CheckConstraint(
            "cancelled_on is null or cancelled_on >= started_on",
            name=op.f("ck_subscriptions_cancelled_after"),
        ),
        sa.CheckConstraint(
            "committed_until is null or committed_until >= started_on",
            name=op.f("ck_subscriptions_committed_after"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_subscriptions_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["subscription_plans.id"],
            name=op.f("fk_subscriptions_plan_id_subscription_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("external_id", name=op.f("uq_subscriptions_external_id")),
    )
    op.create_index(
        "ix_subscriptions_cancelled_on", "subscriptions", ["cancelled_on"], unique=False
    )
    op.create_index("ix_subscriptions_member", "subscriptions", ["member_id"], unique=False)
    op.create_table(
        "subscription_exit_answers",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", Id, nullable=False),
        sa.Column("survey_id", Id, nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("competitor", sa.String(length=100), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "reason in ('price', 'network', 'service', 'competitor', 'moving', 'other')",
            name=op.f("ck_subscription_exit_answers_reason"),
        ),
        sa.CheckConstraint(
            "source in ('link', 'api')", name=op.f("ck_subscription_exit_answers_source")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_exit_answers_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_subscription_exit_answers_survey_id_surveys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_exit_answers")),
        sa.UniqueConstraint("response_id", name=op.f("uq_subscription_exit_answers_response_id")),
    )
    op.create_index(
        "ix_subscription_exit_answers_collected_at",
        "subscription_exit_answers",
        ["collected_at"],
        unique=False,
    )
    op.create_index(
        "ix_subscription_exit_answers_subscription",
        "subscription_exit_answers",
        ["subscription_id"],
        unique=False,
    )
    op.create_table(
        "subscription_plan_changes",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("subscription_id", Id, nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("from_plan_id", Id, nullable=False),
        sa.Column("to_plan_id", Id, nullable=False),
        sa.Column("fee_before", sa.BigInteger(), nullable=False),
        sa.Column("fee_after", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_plan_id"],
            ["subscription_plans.id"],
            name=op.f("fk_subscription_plan_changes_from_plan_id_subscription_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_plan_changes_subscription_id_subscriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["to_plan_id"],
            ["subscription_plans.id"],
            name=op.f("fk_subscription_plan_changes_to_plan_id_subscription_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_plan_changes")),
        sa.UniqueConstraint("external_id", name=op.f("uq_subscription_plan_changes_external_id")),
    )
    op.create_index(
        "ix_subscription_plan_changes_subscription",
        "subscription_plan_changes",
        ["subscription_id", "changed_on"],
        unique=False,
    )
    op.create_table(
        "subscription_exit_invitations",
        sa.Column("invitation_id", Id, autoincrement=False, nullable=False),
        sa.Column("subscription_id", Id, nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["survey_invitations.id"],
            name=op.f("fk_subscription_exit_invitations_invitation_id_survey_invitations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_exit_invitations_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("pk_subscription_exit_invitations")),
    )
    op.create_index(
        "ix_subscription_exit_invitations_subscription",
        "subscription_exit_invitations",
        ["subscription_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_subscription_exit_invitations_subscription", table_name="subscription_exit_invitations"
    )
    op.drop_table("subscription_exit_invitations")
    op.drop_index(
        "ix_subscription_plan_changes_subscription", table_name="subscription_plan_changes"
    )
    op.drop_table("subscription_plan_changes")
    op.drop_index(
        "ix_subscription_exit_answers_subscription", table_name="subscription_exit_answers"
    )
    op.drop_index(
        "ix_subscription_exit_answers_collected_at", table_name="subscription_exit_answers"
    )
    op.drop_table("subscription_exit_answers")
    op.drop_index("ix_subscriptions_member", table_name="subscriptions")
    op.drop_index("ix_subscriptions_cancelled_on", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_table("subscription_plans")
    op.drop_table("subscription_bills")
