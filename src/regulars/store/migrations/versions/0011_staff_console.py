"""staff console: staff users, sessions, sign-in attempts, the audit log, name search

Staff users sign in to the console (``/console``); every change they make is written to the
audit log. Members get a table of name bigrams (``member_name_grams``) to be found by part of
their name; it is filled here for the members already stored, with a copy of
``regulars.domain.member_names.name_grams`` (kept here so that this migration means the same
whatever that module becomes). A program can now be ended for good (``ended_at``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 03:17:04
"""

import unicodedata

import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sign_ins",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sign_ins")),
    )
    op.create_index(
        "ix_staff_sign_ins_address_at", "staff_sign_ins", ["address", "at"], unique=False
    )
    op.create_index("ix_staff_sign_ins_at", "staff_sign_ins", ["at"], unique=False)
    op.create_index("ix_staff_sign_ins_email_at", "staff_sign_ins", ["email", "at"], unique=False)
    op.create_table(
        "staff_users",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("store", sa.String(length=64), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=8), server_default="ko", nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("language in ('ko', 'en')", name=op.f("ck_staff_users_language")),
        sa.CheckConstraint(
            "role in ('owner', 'manager', 'staff', 'analyst')", name=op.f("ck_staff_users_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_users_email")),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_kind", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("member_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("store", sa.String(length=64), nullable=True),
        sa.Column("before_json", sa.Text(), nullable=True),
        sa.Column("after_json", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "actor_kind in ('staff', 'api_key', 'cli')", name=op.f("ck_audit_log_actor_kind")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_audit_log_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_member_id", "audit_log", ["member_id"], unique=False)
    op.create_table(
        "member_name_grams",
        sa.Column("gram", sa.String(length=8), nullable=False),
        sa.Column(
            "member_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_name_grams_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gram", "member_id", name=op.f("pk_member_name_grams")),
    )
    op.create_index(
        "ix_member_name_grams_member_id", "member_name_grams", ["member_id"], unique=False
    )
    op.create_table(
        "staff_sessions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_sessions_staff_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"], unique=False)
    op.add_column(
        "loyalty_programs", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True)
    )
    _index_names(op.get_bind())


BATCH = 5_000


def _grams(name: str | None) -> set[str]:
    """The bigrams of a name (as regulars.domain.member_names.name_grams, December 2026)."""
    key = "".join(unicodedata.normalize("NFKC", name or "").casefold().split())
    if len(key) == 1:
        return {key}
    return {key[i : i + 2] for i in range(len(key) - 1)}


def _index_names(connection: sa.Connection) -> None:
    members = sa.table("members", sa.column("id", sa.BigInteger), sa.column("name", sa.String))
    grams = sa.table(
        "member_name_grams", sa.column("gram", sa.String), sa.column("member_id", sa.BigInteger)
    )
    after = 0
    while True:
        rows = connection.execute(
            sa.select(members.c.id, members.c.name)
            .where(members.c.id > after, members.c.name.is_not(None))
            .order_by(members.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        values = [
            {"gram": g, "member_id": r.id} for r in rows for g in _grams(r.name) if len(g) <= 8
        ]
        if values:
            connection.execute(grams.insert(), values)
        after = rows[-1].id


def downgrade() -> None:
    op.drop_column("loyalty_programs", "ended_at")
    op.drop_index("ix_staff_sessions_staff_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_index("ix_member_name_grams_member_id", table_name="member_name_grams")
    op.drop_table("member_name_grams")
    op.drop_index("ix_audit_log_member_id", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("staff_users")
    op.drop_index("ix_staff_sign_ins_email_at", table_name="staff_sign_ins")
    op.drop_index("ix_staff_sign_ins_at", table_name="staff_sign_ins")
    op.drop_index("ix_staff_sign_ins_address_at", table_name="staff_sign_ins")
    op.drop_table("staff_sign_ins")
