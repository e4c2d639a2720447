"""purchase lines: drop the foreign key to purchases (a row lock per line on PostgreSQL)

Lines are written only together with their purchase, in one transaction, and purchases are
never deleted; the check tripled the cost of writing lines on PostgreSQL (see the comment
above ``purchases`` in store/tables.py and bench/bench_import.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 20:40:00
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NAME = "fk_purchase_lines_purchase_id_purchases"


def upgrade() -> None:
    with op.batch_alter_table("purchase_lines") as batch:
        batch.drop_constraint(NAME, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("purchase_lines") as batch:
        batch.create_foreign_key(NAME, "purchases", ["purchase_id"], ["id"], ondelete="CASCADE")
