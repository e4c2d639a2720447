"""erased members' ids, as keyed digests: enrolment refuses them until re-enrolled

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erased_member_ids",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_erased_member_ids")),
    )


def downgrade() -> None:
    op.drop_table("erased_member_ids")
