"""members: a loyalty card number, and the phone and e-mail in the form a till looks them up by

``phone_key`` and ``email_key`` are filled for the members already stored, by the same
functions every member write uses (``regulars.domain.members``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 03:30:00
"""

import sqlalchemy as sa
from alembic import op

from regulars.domain.members import email_key, phone_key

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("card_id", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("phone_key", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("email_key", sa.String(length=320), nullable=True))
        batch.create_unique_constraint(op.f("uq_members_card_id"), ["card_id"])
        batch.create_index("ix_members_phone_key", ["phone_key"], unique=False)
        batch.create_index("ix_members_email_key", ["email_key"], unique=False)
    connection = op.get_bind()
    members = sa.table(
        "members",
        sa.column("id", sa.BigInteger),
        sa.column("phone", sa.String),
        sa.column("email", sa.String),
        sa.column("phone_key", sa.String),
        sa.column("email_key", sa.String),
    )
    after = 0
    while True:
        rows = connection.execute(
            sa.select(members.c.id, members.c.phone, members.c.email)
            .where(members.c.id > after)
            .where(sa.or_(members.c.phone.is_not(None), members.c.email.is_not(None)))
            .order_by(members.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            members.update()
            .where(members.c.id == sa.bindparam("_id"))
            .values(phone_key=sa.bindparam("_phone"), email_key=sa.bindparam("_email")),
            [
                {"_id": r.id, "_phone": phone_key(r.phone), "_email": email_key(r.email)}
                for r in rows
            ],
        )
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_index("ix_members_email_key")
        batch.drop_index("ix_members_phone_key")
        batch.drop_constraint(op.f("uq_members_card_id"), type_="unique")
        batch.drop_column("email_key")
        batch.drop_column("phone_key")
        batch.drop_column("card_id")
