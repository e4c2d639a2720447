"""loyalty: programs, the points ledger (transactions, entries, lots), rewards, accruals

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 15:11:54.367952
"""

from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loyalty_programs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=True),
        sa.Column("issued", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('points', 'discount', 'stamps')", name=op.f("ck_loyalty_programs_kind")
        ),
        sa.CheckConstraint(
            "budget is null or issued <= budget", name=op.f("ck_loyalty_programs_within_budget")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_programs")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_programs_code")),
    )
    op.create_table(
        "loyalty_accounts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "program_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("available", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("pending", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("debt", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("stamps", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tier", sa.String(length=64), nullable=True),
        sa.Column("tier_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tier_grace_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "available >= 0", name=op.f("ck_loyalty_accounts_available_not_negative")
        ),
        sa.CheckConstraint("debt >= 0", name=op.f("ck_loyalty_accounts_debt_not_negative")),
        sa.CheckConstraint("pending >= 0", name=op.f("ck_loyalty_accounts_pending_not_negative")),
        sa.CheckConstraint("stamps >= 0", name=op.f("ck_loyalty_accounts_stamps_not_negative")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_loyalty_accounts_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loyalty_programs.id"],
            name=op.f("fk_loyalty_accounts_program_id_loyalty_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_accounts")),
        sa.UniqueConstraint("member_id", "program_id", name="uq_loyalty_accounts_member_program"),
    )
    op.create_index("ix_loyalty_accounts_program", "loyalty_accounts", ["program_id"], unique=False)
    op.create_table(
        "loyalty_program_versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "program_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["loyalty_programs.id"],
            name=op.f("fk_loyalty_program_versions_program_id_loyalty_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_program_versions")),
        sa.UniqueConstraint("program_id", "version", name="uq_loyalty_program_versions_version"),
    )
    op.create_table(
        "loyalty_referrals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "referrer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "referee_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rewarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("referrer_id <> referee_id", name=op.f("ck_loyalty_referrals_not_self")),
        sa.ForeignKeyConstraint(
            ["referee_id"], ["members.id"], name=op.f("fk_loyalty_referrals_referee_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["members.id"], name=op.f("fk_loyalty_referrals_referrer_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_referrals")),
        sa.UniqueConstraint("referee_id", name=op.f("uq_loyalty_referrals_referee_id")),
    )
    op.create_table(
        "ledger_transactions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "purchase_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind <> 'adjust' or reason is not null",
            name=op.f("ck_ledger_transactions_adjust_has_reason"),
        ),
        sa.CheckConstraint(
            "kind in ('earn', 'bonus', 'release', 'redeem', 'expire', 'reverse', 'adjust')",
            name=op.f("ck_ledger_transactions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_ledger_transactions_account_id_loyalty_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchases.id"],
            name=op.f("fk_ledger_transactions_purchase_id_purchases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transactions")),
        sa.UniqueConstraint("source_key", name=op.f("uq_ledger_transactions_source_key")),
    )
    op.create_index(
        "ix_ledger_transactions_account_kind_at",
        "ledger_transactions",
        ["account_id", "kind", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_ledger_transactions_purchase", "ledger_transactions", ["purchase_id"], unique=False
    )
    op.create_table(
        "loyalty_rewards",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column(
            "purchase_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeem_key", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "state in ('issued', 'redeemed', 'revoked', 'expired')",
            name=op.f("ck_loyalty_rewards_state"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_loyalty_rewards_account_id_loyalty_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"], ["purchases.id"], name=op.f("fk_loyalty_rewards_purchase_id_purchases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_rewards")),
        sa.UniqueConstraint("code", name=op.f("uq_loyalty_rewards_code")),
    )
    op.create_index("ix_loyalty_rewards_account", "loyalty_rewards", ["account_id"], unique=False)
    op.create_index("ix_loyalty_rewards_purchase", "loyalty_rewards", ["purchase_id"], unique=False)
    op.create_table(
        "purchase_accruals",
        sa.Column(
            "purchase_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("accrued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["purchases.id"],
            name=op.f("fk_purchase_accruals_purchase_id_purchases"),
        ),
        sa.PrimaryKeyConstraint("purchase_id", name=op.f("pk_purchase_accruals")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("book", sa.String(length=20), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_ledger_entries_account_id_loyalty_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_ledger_entries_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        "ix_ledger_entries_account_book", "ledger_entries", ["account_id", "book"], unique=False
    )
    op.create_index(
        "ix_ledger_entries_transaction", "ledger_entries", ["transaction_id"], unique=False
    )
    op.create_table(
        "points_lots",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "transaction_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "purchase_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("release_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "remaining >= 0 and remaining <= points", name=op.f("ck_points_lots_remaining_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["loyalty_accounts.id"],
            name=op.f("fk_points_lots_account_id_loyalty_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"], ["purchases.id"], name=op.f("fk_points_lots_purchase_id_purchases")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_points_lots_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_lots")),
    )
    op.create_index(
        "ix_points_lots_account_closed", "points_lots", ["account_id", "closed"], unique=False
    )
    op.create_index("ix_points_lots_expiry", "points_lots", ["closed", "expires_at"], unique=False)
    op.create_index("ix_points_lots_purchase", "points_lots", ["purchase_id"], unique=False)
    op.create_index(
        "ix_points_lots_release", "points_lots", ["released", "release_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_points_lots_release", table_name="points_lots")
    op.drop_index("ix_points_lots_purchase", table_name="points_lots")
    op.drop_index("ix_points_lots_expiry", table_name="points_lots")
    op.drop_index("ix_points_lots_account_closed", table_name="points_lots")
    op.drop_table("points_lots")
    op.drop_index("ix_ledger_entries_transaction", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_account_book", table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("purchase_accruals")
    op.drop_index("ix_loyalty_rewards_purchase", table_name="loyalty_rewards")
    op.drop_index("ix_loyalty_rewards_account", table_name="loyalty_rewards")
    op.drop_table("loyalty_rewards")
    op.drop_index("ix_ledger_transactions_purchase", table_name="ledger_transactions")
    op.drop_index("ix_ledger_transactions_account_kind_at", table_name="ledger_transactions")
    op.drop_table("ledger_transactions")
    op.drop_table("loyalty_referrals")
    op.drop_table("loyalty_program_versions")
    op.drop_index("ix_loyalty_accounts_program", table_name="loyalty_accounts")
    op.drop_table("loyalty_accounts")
    op.drop_table("loyalty_programs")
