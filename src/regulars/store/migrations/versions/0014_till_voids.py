"""till: voids of sales and of redemptions (a till's cancel key), and the ledger kind ``void``

``till_voids`` keeps who voided what, when and why, with the answer given (a second void
answers the same). Giving a redemption's points back is a ledger transaction of the new
kind ``void``.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

KINDS = ("earn", "bonus", "release", "redeem", "expire", "reverse", "adjust")


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind in (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade() -> None:
    with op.batch_alter_table("ledger_transactions") as batch:
        batch.drop_constraint(op.f("ck_ledger_transactions_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_transactions_kind"), _kinds((*KINDS, "void")))
    op.create_table(
        "till_voids",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("purchase_id", Id, nullable=True),
        sa.Column("refund_id", Id, nullable=True),
        sa.Column("transaction_id", Id, nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.CheckConstraint("kind in ('purchase', 'redemption')", name=op.f("ck_till_voids_kind")),
        sa.CheckConstraint(
            "(kind = 'purchase' and purchase_id is not null and transaction_id is null) or "
            "(kind = 'redemption' and transaction_id is not null and purchase_id is null)",
            name=op.f("ck_till_voids_voids_one_thing"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_id"], ["purchases.id"], name=op.f("fk_till_voids_purchase_id_purchases")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["purchases.id"], name=op.f("fk_till_voids_refund_id_purchases")
        ),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["ledger_transactions.id"],
            name=op.f("fk_till_voids_transaction_id_ledger_transactions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_till_voids")),
        sa.UniqueConstraint("purchase_id", name=op.f("uq_till_voids_purchase_id")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_till_voids_transaction_id")),
    )


def downgrade() -> None:
    op.drop_table("till_voids")
    with op.batch_alter_table("ledger_transactions") as batch:
        batch.drop_constraint(op.f("ck_ledger_transactions_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_transactions_kind"), _kinds(KINDS))
