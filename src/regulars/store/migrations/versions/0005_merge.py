"""merge the loyalty, feedback and member-score branches into one head

The three were written in parallel on top of the foundation; with one head,
`alembic upgrade head`, `alembic downgrade -1` and the next migration have a
single parent to name.

Revision ID: 0005
Revises: 0002, 0003, 0004
Create Date: 2026-11-22 19:55:00
"""

revision = "0005"
down_revision = ("0002", "0003", "0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
