"""stores and departments: who is alerted when a customer is unhappy (alert e-mail, webhook)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("stores", "departments")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("alert_email", sa.String(length=320), nullable=True))
            batch.add_column(sa.Column("alert_webhook", sa.String(length=500), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("alert_webhook")
            batch.drop_column("alert_email")
