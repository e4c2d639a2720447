"""campaigns: per-member analytics written back, campaigns and their versions, runs,
candidates, assignments (arm and step schedule), actions, and staff tasks (issue 14)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 03:09:21
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_actions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "assignment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("marketing", sa.Boolean(), nullable=False),
        sa.Column("points", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('message', 'gift', 'voucher', 'task', 'survey')",
            name=op.f("ck_campaign_actions_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_actions")),
        sa.UniqueConstraint("assignment_id", "step", name="uq_campaign_actions_step"),
    )
    with op.batch_alter_table("campaign_actions", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_actions_campaign", ["campaign_id", "kind"], unique=False)
        batch_op.create_index(
            "ix_campaign_actions_member_done", ["member_id", "done_at"], unique=False
        )

    op.create_table(
        "campaign_assignments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("entry_key", sa.String(length=80), nullable=False),
        sa.Column("arm", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attribution_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.Integer(), server_default="0", nullable=False),
        sa.Column("step_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "arm in ('treated', 'holdout')", name=op.f("ck_campaign_assignments_arm")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_assignments")),
        sa.UniqueConstraint(
            "campaign_id", "member_id", "entry_key", name="uq_campaign_assignments_entry"
        ),
    )
    with op.batch_alter_table("campaign_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_assignments_due", ["campaign_id", "step_due_at"], unique=False
        )
        batch_op.create_index("ix_campaign_assignments_member", ["member_id"], unique=False)

    op.create_table(
        "campaign_candidates",
        sa.Column(
            "run_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "member_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("entry_key", sa.String(length=80), nullable=False),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(length=10), nullable=False),
        sa.Column("needs_slot", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("attribution_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "run_id", "member_id", "entry_key", name=op.f("pk_campaign_candidates")
        ),
    )
    op.create_table(
        "campaigns",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("budget_points", sa.BigInteger(), nullable=True),
        sa.Column("points_issued", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state in ('draft', 'running', 'paused', 'ended')", name=op.f("ck_campaigns_state")
        ),
        sa.CheckConstraint(
            "budget_points is null or points_issued <= budget_points",
            name=op.f("ck_campaigns_within_budget"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("code", name=op.f("uq_campaigns_code")),
    )
    op.create_table(
        "member_analytics",
        sa.Column(
            "member_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("loyalty_type", sa.String(length=20), nullable=False),
        sa.Column("recency_score", sa.Integer(), nullable=True),
        sa.Column("frequency_score", sa.Integer(), nullable=True),
        sa.Column("monetary_score", sa.Integer(), nullable=True),
        sa.Column("rfm_segment", sa.String(length=40), nullable=True),
        sa.Column("nps_class", sa.String(length=20), nullable=True),
        sa.Column("last_nps", sa.Integer(), nullable=True),
        sa.Column("last_answer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("share_of_wallet", sa.Float(precision=53), nullable=True),
        sa.Column("share_of_wallet_band", sa.String(length=20), nullable=True),
        sa.Column("last_purchase_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("days_since_last_purchase", sa.Integer(), nullable=True),
        sa.Column("purchase_days", sa.Integer(), nullable=False),
        sa.Column("net_spend", sa.BigInteger(), nullable=False),
        sa.Column("expiring_points", sa.BigInteger(), nullable=False),
        sa.Column("expiring_within_days", sa.Integer(), nullable=False),
        sa.Column(
            "home_store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("attachment", sa.Float(precision=53), nullable=True),
        sa.CheckConstraint(
            "loyalty_type in ('true', 'latent', 'spurious', 'none', 'unknown')",
            name=op.f("ck_member_analytics_loyalty_type"),
        ),
        sa.CheckConstraint(
            "stage in ('first_visit', 'first_purchase', 'repeat', 'attached', 'loyal')",
            name=op.f("ck_member_analytics_stage"),
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_member_analytics")),
    )
    op.create_table(
        "campaign_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=80), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("candidates", sa.Integer(), server_default="0", nullable=False),
        sa.Column("treated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("holdout", sa.Integer(), server_default="0", nullable=False),
        sa.Column("capped", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_runs_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_runs")),
        sa.UniqueConstraint("campaign_id", "run_key", name="uq_campaign_runs_key"),
    )
    op.create_table(
        "campaign_versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_versions_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_versions")),
        sa.UniqueConstraint("campaign_id", "version", name="uq_campaign_versions_version"),
    )
    op.create_table(
        "staff_tasks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("store_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("action_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status in ('open', 'done')", name=op.f("ck_staff_tasks_status")),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_staff_tasks_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_staff_tasks_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_staff_tasks_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_tasks")),
        sa.UniqueConstraint("action_id", name=op.f("uq_staff_tasks_action_id")),
    )
    with op.batch_alter_table("staff_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_staff_tasks_status_store", ["status", "store_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_tasks_status_store")

    op.drop_table("staff_tasks")
    op.drop_table("campaign_versions")
    op.drop_table("campaign_runs")
    op.drop_table("member_analytics")
    op.drop_table("campaigns")
    op.drop_table("campaign_candidates")
    with op.batch_alter_table("campaign_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_assignments_member")
        batch_op.drop_index("ix_campaign_assignments_due")

    op.drop_table("campaign_assignments")
    with op.batch_alter_table("campaign_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_actions_member_done")
        batch_op.drop_index("ix_campaign_actions_campaign")

    op.drop_table("campaign_actions")
