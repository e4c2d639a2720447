"""The tables, as SQLAlchemy Core metadata (Alembic's migrations are written against it).

Conventions: integer surrogate keys; the business's own identifiers are ``external_id`` or
``code`` columns with unique constraints (that is what makes imports idempotent); money in
integer minor units; timestamps are UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# BigInteger on PostgreSQL, INTEGER (the rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=True)


members = Table(
    "members",
    metadata,
    _id(),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("name", String(200)),
    Column("email", String(320)),
    Column("phone", String(40)),
    Column("birth_date", Date),
    Column("locale", String(8), nullable=False, server_default="ko"),
    Column("segment", String(20), nullable=False, server_default="individual"),
    Column("region", String(100)),
    Column("signup_date", Date),
    Column("acquisition_channel", String(50)),
    Column("acquisition_cost", BigInteger),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True)),
    # How a till or the console finds a member (migration 0010): a loyalty card number as
    # stored by ``domain.members.card_key``, and the phone and e-mail in the form they are
    # looked up by (``phone_key``, ``email_key``), written with every member write.
    Column("card_id", String(80), unique=True),
    Column("phone_key", String(40)),
    Column("email_key", String(320)),
    CheckConstraint("locale in ('ko', 'en')", name="locale"),
    CheckConstraint("segment in ('individual', 'business', 'vip')", name="segment"),
    Index("ix_members_phone_key", "phone_key"),
    Index("ix_members_email_key", "email_key"),
)

# Erased members' ids, as HMAC-SHA256 digests keyed with the installation's secret
# (REGULARS_SECRET_KEY): enrolment and imports refuse such an id until it is enrolled again
# explicitly (``re_enrol``). No time and no link to the pseudonymised member row is kept.
erased_member_ids = Table(
    "erased_member_ids",
    metadata,
    Column("digest", String(64), primary_key=True),
)

member_consents = Table(
    "member_consents",
    metadata,
    _id(),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("source", String(100), nullable=False),
    Index("ix_member_consents_member_channel_at", "member_id", "channel", "at"),
)

stores = Table(
    "stores",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False, server_default="store"),
    Column("region", String(100)),
    # who hears of a detractor answer about this store (issue 13, migration 0007)
    Column("alert_email", String(320)),
    Column("alert_webhook", String(500)),
)

departments = Table(
    "departments",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("alert_email", String(320)),
    Column("alert_webhook", String(500)),
)

employees = Table(
    "employees",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("store_id", Id, ForeignKey("stores.id")),
    Column("department_id", Id, ForeignKey("departments.id")),
)

categories = Table(
    "categories",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
)

products = Table(
    "products",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("category_id", Id, ForeignKey("categories.id")),
)

# The two fact tables take millions of rows per import. Their references to members, stores,
# employees, products, categories and the original sale are resolved by the importer inside
# the same transaction, so they carry no FOREIGN KEY constraints: on PostgreSQL each one is a
# per-row trigger that cost more than the insert itself (measured in bench/bench_import.py).
# The line -> purchase link has none either (migration 0006): lines are written only by
# ``store.purchases.insert_lines`` in the transaction that creates their purchase, and
# purchases are never deleted. Its check (a row lock on the purchase per line) tripled the
# cost of writing lines on PostgreSQL: 2.4 s instead of 0.8 s for 300,000 lines.
purchases = Table(
    "purchases",
    metadata,
    _id(),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("member_id", Id),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("store_id", Id),
    Column("channel", String(20), nullable=False),
    Column("employee_id", Id),
    Column("kind", String(10), nullable=False, server_default="sale"),
    Column("original_id", Id),
    Column("total_amount", BigInteger, nullable=False),
    CheckConstraint("kind in ('sale', 'refund', 'return')", name="kind"),
    CheckConstraint("channel in ('store', 'web', 'app', 'phone')", name="channel"),
    CheckConstraint("kind = 'sale' or original_id is not null", name="refund_has_original"),
    Index("ix_purchases_member_occurred", "member_id", "occurred_at"),
    Index("ix_purchases_occurred_at", "occurred_at"),
)

purchase_lines = Table(
    "purchase_lines",
    metadata,
    Column("purchase_id", Id, primary_key=True, autoincrement=False),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("product_id", Id, nullable=False),
    Column("category_id", Id),
    Column("quantity", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    _id(),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("secret_hash", LargeBinary(64), nullable=False),
    Column("salt", LargeBinary(32), nullable=False),
    Column("scopes", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("api_key_id", Id, primary_key=True),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response_body", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    _id(),
    Column("topic", String(100), nullable=False),
    Column("member_id", Id, ForeignKey("members.id", ondelete="SET NULL")),
    Column("channel", String(20)),
    Column("payload", Text, nullable=False),
    Column("dedupe_key", String(200), unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("available_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    # When the delivery worker turned the event into deliveries (issue 13); ``sent_at`` is set
    # once every one of them was delivered (at once when the event had nowhere to go).
    Column("dispatched_at", DateTime(timezone=True)),
    Index("ix_outbox_pending", "sent_at", "available_at"),
    Index("ix_outbox_undispatched", "dispatched_at", "id"),
)


# --- Delivery: webhook endpoints and the deliveries of every event (issue 13) ---------------
# An endpoint's signing secrets are stored encrypted (Fernet, key derived from
# REGULARS_SECRET_KEY); ``events`` holds comma-separated type patterns (``points.*``, ``*``).
# During a rotation the old secret stays valid until ``previous_valid_until``.

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    _id(),
    Column("url", String(2000), nullable=False),
    Column("events", String(1000), nullable=False),
    Column("description", String(200)),
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_valid_until", DateTime(timezone=True)),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", Text),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per event and target: a webhook endpoint (``endpoint_id``), the broker, or a
# member's address (``target``). ``content`` holds a rendered message as JSON (NULL: the
# event itself). A worker claims due rows by setting ``claimed_until`` (a lease: a killed
# worker's rows come back when it passes) and sends outside any transaction.
deliveries = Table(
    "deliveries",
    metadata,
    _id(),
    Column("event_id", Id, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("target", String(320), nullable=False),
    Column("endpoint_id", Id, ForeignKey("webhook_endpoints.id", ondelete="CASCADE")),
    Column("content", Text),
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("peer_status", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("event_id", "channel", "target"),
    CheckConstraint("state IN ('pending', 'sent', 'failed', 'dead')", name="state"),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
    Index("ix_deliveries_endpoint_id", "endpoint_id"),
)


# --- Feedback: surveys, invitations, answers and follow-up cases (issue 4) -----------------
# A survey's questions live in ``definition`` (JSON of
# regulars.domain.feedback.surveys.SurveyDefinition).
# An invitation keeps only the hash of its link's token; ``used_at`` makes it single-use.
# Answers are one row per answered question; ``subject`` tells apart the rows of one question
# in one response (the driver for driver_* questions, the rated target for csat, else '-').

surveys = Table(
    "surveys",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("definition", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

survey_invitations = Table(
    "survey_invitations",
    metadata,
    _id(),
    Column("survey_id", Id, ForeignKey("surveys.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("language", String(8), nullable=False),
    Column("purchase_id", Id, ForeignKey("purchases.id")),
    Column("store_id", Id, ForeignKey("stores.id")),
    Column("sales_channel", String(20)),
    Column("employee_id", Id, ForeignKey("employees.id")),
    Column("department_id", Id, ForeignKey("departments.id")),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("response_id", String(64)),
    Index("ix_survey_invitations_member_created", "member_id", "created_at"),
)

survey_answers = Table(
    "survey_answers",
    metadata,
    _id(),
    Column("response_id", String(64), nullable=False),
    Column("survey_id", Id, ForeignKey("surveys.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id", ondelete="SET NULL")),
    Column("question", String(30), nullable=False),
    Column("subject", String(30), nullable=False),
    Column("value", Float),
    Column("text", Text),
    Column("language", String(8), nullable=False),
    Column("store_id", Id, ForeignKey("stores.id")),
    Column("channel", String(20)),
    Column("department_id", Id, ForeignKey("departments.id")),
    Column("employee_id", Id, ForeignKey("employees.id")),
    Column("purchase_id", Id, ForeignKey("purchases.id")),
    Column("collected_at", DateTime(timezone=True), nullable=False),
    Column("source", String(10), nullable=False),
    UniqueConstraint("response_id", "question", "subject", name="uq_survey_answers_question"),
    CheckConstraint("source in ('link', 'import', 'api')", name="source"),
    CheckConstraint("value is not null or text is not null", name="has_value"),
    Index("ix_survey_answers_collected_at", "collected_at"),
    Index("ix_survey_answers_member", "member_id"),
)

feedback_cases = Table(
    "feedback_cases",
    metadata,
    _id(),
    Column("response_id", String(64), nullable=False, unique=True),
    Column("survey_id", Id, ForeignKey("surveys.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id", ondelete="SET NULL")),
    Column("score", Integer, nullable=False),
    Column("reason", Text),
    Column("store_id", Id, ForeignKey("stores.id")),
    Column("department_id", Id, ForeignKey("departments.id")),
    Column("employee_id", Id, ForeignKey("employees.id")),
    Column("status", String(20), nullable=False),
    Column("owner", String(200)),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    CheckConstraint("status in ('open', 'in_progress', 'resolved', 'closed')", name="status"),
    Index("ix_feedback_cases_status_due", "status", "due_at"),
)

feedback_case_notes = Table(
    "feedback_case_notes",
    metadata,
    _id(),
    Column("case_id", Id, ForeignKey("feedback_cases.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("author", String(200), nullable=False),
    Column("text", Text, nullable=False),
    Index("ix_feedback_case_notes_case", "case_id"),
)


# --- Loyalty: programs, the points ledger, stamp cards and rewards (issue 3) ----------------
# A program's rules live in ``definition`` (the JSON of regulars.domain.loyalty.programs); every new
# definition of a code is a new version, kept in loyalty_program_versions. A member's account
# in a program is one row whose cached balances (available, pending, debt, stamps, tier) are
# changed only under that row's lock; the ledger (transactions, double-entry entries, lots) is
# append-only apart from a lot's ``remaining``/``released``/``closed`` bookkeeping.

loyalty_programs = Table(
    "loyalty_programs",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("budget", BigInteger),
    Column("issued", BigInteger, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # paused (active false) or ended for good (ended_at set; issue 15, migration 0011)
    Column("ended_at", DateTime(timezone=True)),
    CheckConstraint("kind in ('points', 'discount', 'stamps')", name="kind"),
    CheckConstraint("budget is null or issued <= budget", name="within_budget"),
)

loyalty_program_versions = Table(
    "loyalty_program_versions",
    metadata,
    _id(),
    Column("program_id", Id, ForeignKey("loyalty_programs.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("program_id", "version", name="uq_loyalty_program_versions_version"),
)

loyalty_accounts = Table(
    "loyalty_accounts",
    metadata,
    _id(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("program_id", Id, ForeignKey("loyalty_programs.id"), nullable=False),
    Column("available", BigInteger, nullable=False, server_default="0"),
    Column("pending", BigInteger, nullable=False, server_default="0"),
    Column("debt", BigInteger, nullable=False, server_default="0"),
    Column("stamps", Integer, nullable=False, server_default="0"),
    Column("tier", String(64)),
    Column("tier_since", DateTime(timezone=True)),
    Column("tier_grace_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("member_id", "program_id", name="uq_loyalty_accounts_member_program"),
    CheckConstraint("available >= 0", name="available_not_negative"),
    CheckConstraint("pending >= 0", name="pending_not_negative"),
    CheckConstraint("debt >= 0", name="debt_not_negative"),
    CheckConstraint("stamps >= 0", name="stamps_not_negative"),
    Index("ix_loyalty_accounts_program", "program_id"),
)

ledger_transactions = Table(
    "ledger_transactions",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("loyalty_accounts.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("source_key", String(200), unique=True),
    Column("request_hash", String(64)),
    Column("purchase_id", Id, ForeignKey("purchases.id")),
    Column("program_version", Integer, nullable=False),
    Column("reason", Text),
    Column("actor", String(200)),
    Column("detail", Text),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "kind in ('earn', 'bonus', 'release', 'redeem', 'expire', 'reverse', 'adjust', 'void')",
        name="kind",
    ),
    CheckConstraint("kind <> 'adjust' or reason is not null", name="adjust_has_reason"),
    Index("ix_ledger_transactions_account_kind_at", "account_id", "kind", "occurred_at"),
    Index("ix_ledger_transactions_purchase", "purchase_id"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    _id(),
    Column("transaction_id", Id, ForeignKey("ledger_transactions.id"), nullable=False),
    Column("account_id", Id, ForeignKey("loyalty_accounts.id"), nullable=False),
    Column("book", String(20), nullable=False),
    Column("lot_id", Id),
    Column("points", BigInteger, nullable=False),
    Index("ix_ledger_entries_transaction", "transaction_id"),
    Index("ix_ledger_entries_account_book", "account_id", "book"),
)

points_lots = Table(
    "points_lots",
    metadata,
    _id(),
    Column("account_id", Id, ForeignKey("loyalty_accounts.id"), nullable=False),
    Column("transaction_id", Id, ForeignKey("ledger_transactions.id"), nullable=False),
    Column("purchase_id", Id, ForeignKey("purchases.id")),
    Column("points", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("awarded_at", DateTime(timezone=True), nullable=False),
    Column("release_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("released", Boolean, nullable=False),
    Column("closed", Boolean, nullable=False),
    CheckConstraint("remaining >= 0 and remaining <= points", name="remaining_in_range"),
    Index("ix_points_lots_account_closed", "account_id", "closed"),
    Index("ix_points_lots_release", "released", "release_at"),
    Index("ix_points_lots_expiry", "closed", "expires_at"),
    Index("ix_points_lots_purchase", "purchase_id"),
)

loyalty_rewards = Table(
    "loyalty_rewards",
    metadata,
    _id(),
    Column("code", String(40), nullable=False, unique=True),
    Column("account_id", Id, ForeignKey("loyalty_accounts.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("product", String(64)),
    Column("state", String(10), nullable=False),
    Column("purchase_id", Id, ForeignKey("purchases.id")),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("redeemed_at", DateTime(timezone=True)),
    Column("redeem_key", String(200)),
    CheckConstraint("state in ('issued', 'redeemed', 'revoked', 'expired')", name="state"),
    Index("ix_loyalty_rewards_account", "account_id"),
    Index("ix_loyalty_rewards_purchase", "purchase_id"),
)

purchase_accruals = Table(
    "purchase_accruals",
    metadata,
    Column("purchase_id", Id, ForeignKey("purchases.id"), primary_key=True),
    Column("accrued_at", DateTime(timezone=True), nullable=False),
)

loyalty_referrals = Table(
    "loyalty_referrals",
    metadata,
    _id(),
    Column("referrer_id", Id, ForeignKey("members.id"), nullable=False),
    Column("referee_id", Id, ForeignKey("members.id"), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("rewarded_at", DateTime(timezone=True)),
    CheckConstraint("referrer_id <> referee_id", name="not_self"),
)


# --- Predictive scores (issue 6): lifetime value, P(alive), value at risk, expected loss ------

member_scores = Table(
    "member_scores",
    metadata,
    _id(),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("model", String(40), nullable=False),
    Column("frequency", Integer, nullable=False),
    Column("recency_days", Integer, nullable=False),
    Column("age_days", Integer, nullable=False),
    Column("probability_alive", Float(precision=53), nullable=False),
    Column("expected_purchases", Float(precision=53), nullable=False),
    Column("horizon_days", Integer, nullable=False),
    Column("clv", BigInteger, nullable=False),
    Column("value_at_risk", BigInteger, nullable=False),
    Column("expected_loss_at", DateTime(timezone=True)),
    UniqueConstraint("member_id", name="uq_member_scores_member"),
    Index("ix_member_scores_value_at_risk", "value_at_risk"),
)


# --- Staff console (issue 15): staff users, their sessions and sign-ins, the audit log, -----
# and the name bigrams members are found by. A staff user's scope is a store code (None: every
# store) and optionally a department code. A session keeps only the SHA-256 of its cookie's
# token. ``audit_log`` is one row per staff (or API key) action that changed data, with the
# state before and after as JSON; ``member_id`` ties an entry to the member it concerned, so
# that erasure finds it.

staff_users = Table(
    "staff_users",
    metadata,
    _id(),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200)),
    Column("role", String(20), nullable=False),
    Column("store", String(64)),
    Column("department", String(64)),
    Column("language", String(8), nullable=False, server_default="ko"),
    Column("password_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_sign_in_at", DateTime(timezone=True)),
    CheckConstraint("role in ('owner', 'manager', 'staff', 'analyst')", name="role"),
    CheckConstraint("language in ('ko', 'en')", name="language"),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    _id(),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("staff_id", Id, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("address", String(64)),
    Index("ix_staff_sessions_staff_id", "staff_id"),
)

staff_sign_ins = Table(
    "staff_sign_ins",
    metadata,
    _id(),
    Column("email", String(320), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Index("ix_staff_sign_ins_email_at", "email", "at"),
    Index("ix_staff_sign_ins_address_at", "address", "at"),
    Index("ix_staff_sign_ins_at", "at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_kind", String(20), nullable=False),
    Column("actor_id", BigInteger),
    Column("actor", String(320), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target_kind", String(40), nullable=False),
    Column("target", String(200)),
    Column("member_id", Id, ForeignKey("members.id", ondelete="SET NULL")),
    Column("store", String(64)),
    Column("before_json", Text),
    Column("after_json", Text),
    CheckConstraint("actor_kind in ('staff', 'api_key', 'cli')", name="actor_kind"),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_member_id", "member_id"),
)

member_name_grams = Table(
    "member_name_grams",
    metadata,
    Column("gram", String(8), primary_key=True),
    Column(
        "member_id",
        Id,
        ForeignKey("members.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Index("ix_member_name_grams_member_id", "member_id"),
)


# --- Campaigns (issue 14): per-member analytics, campaigns, their runs, assignments, actions,
# staff tasks. ``member_analytics`` is replaced by the scoring job (one row per member with
# history); a campaign's rules live in ``definition`` (the JSON of
# regulars.domain.engagement.campaigns), every changed definition a new version. An
# assignment is one member's entry into a campaign (its arm, drawn from the campaign's seed,
# is stored and never changes); its step schedule (``step``, ``step_due_at``) is advanced by
# the daily job. ``campaign_actions`` records each step done once per assignment (the
# frequency cap counts its marketing messages); ``campaign_candidates`` is the daily job's
# scratch list, emptied when the job's transaction ends. Like purchases, the three tables
# the job writes by the hundred thousand (member_analytics, campaign_assignments,
# campaign_actions) carry no FOREIGN KEY: each is a per-row trigger on PostgreSQL that cost
# more than the insert; their references are resolved by the INSERT … SELECT that writes
# them, and members are never deleted (erasure pseudonymises).

member_analytics = Table(
    "member_analytics",
    metadata,
    Column("member_id", Id, primary_key=True, autoincrement=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("loyalty_type", String(20), nullable=False),
    Column("recency_score", Integer),
    Column("frequency_score", Integer),
    Column("monetary_score", Integer),
    Column("rfm_segment", String(40)),
    Column("nps_class", String(20)),
    Column("last_nps", Integer),
    Column("last_answer_at", DateTime(timezone=True)),
    Column("share_of_wallet", Float(precision=53)),
    Column("share_of_wallet_band", String(20)),
    Column("last_purchase_at", DateTime(timezone=True)),
    Column("days_since_last_purchase", Integer),
    Column("purchase_days", Integer, nullable=False),
    Column("net_spend", BigInteger, nullable=False),
    Column("expiring_points", BigInteger, nullable=False),
    Column("expiring_within_days", Integer, nullable=False),
    Column("home_store_id", Id),
    Column("attachment", Float(precision=53)),
    CheckConstraint(
        "stage in ('first_visit', 'first_purchase', 'repeat', 'attached', 'loyal')", name="stage"
    ),
    CheckConstraint(
        "loyalty_type in ('true', 'latent', 'spurious', 'none', 'unknown')", name="loyalty_type"
    ),
)

campaigns = Table(
    "campaigns",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Text, nullable=False),
    Column("state", String(10), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("budget_points", BigInteger),
    Column("points_issued", BigInteger, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("launched_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    CheckConstraint("state in ('draft', 'running', 'paused', 'ended')", name="state"),
    CheckConstraint(
        "budget_points is null or points_issued <= budget_points", name="within_budget"
    ),
)

campaign_versions = Table(
    "campaign_versions",
    metadata,
    _id(),
    Column("campaign_id", Id, ForeignKey("campaigns.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("campaign_id", "version", name="uq_campaign_versions_version"),
)

campaign_runs = Table(
    "campaign_runs",
    metadata,
    _id(),
    Column("campaign_id", Id, ForeignKey("campaigns.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_key", String(80), nullable=False),
    Column("trigger", String(10), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("window_start", DateTime(timezone=True)),
    Column("window_end", DateTime(timezone=True), nullable=False),
    Column("candidates", Integer, nullable=False, server_default="0"),
    Column("treated", Integer, nullable=False, server_default="0"),
    Column("holdout", Integer, nullable=False, server_default="0"),
    Column("capped", Integer, nullable=False, server_default="0"),
    UniqueConstraint("campaign_id", "run_key", name="uq_campaign_runs_key"),
)

campaign_candidates = Table(
    "campaign_candidates",
    metadata,
    Column("run_id", Id, primary_key=True, autoincrement=False),
    Column("member_id", Id, primary_key=True, autoincrement=False),
    Column("entry_key", String(80), primary_key=True),
    Column("campaign_id", Id, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("arm", String(10), nullable=False),
    Column("needs_slot", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("attribution_until", DateTime(timezone=True), nullable=False),
)

campaign_assignments = Table(
    "campaign_assignments",
    metadata,
    _id(),
    Column("campaign_id", Id, nullable=False),
    Column("run_id", Id, nullable=False),
    Column("member_id", Id, nullable=False),
    Column("entry_key", String(80), nullable=False),
    Column("arm", String(10), nullable=False),
    Column("version", Integer, nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
    Column("attribution_until", DateTime(timezone=True), nullable=False),
    Column("step", Integer, nullable=False, server_default="0"),
    Column("step_due_at", DateTime(timezone=True)),
    UniqueConstraint("campaign_id", "member_id", "entry_key", name="uq_campaign_assignments_entry"),
    CheckConstraint("arm in ('treated', 'holdout')", name="arm"),
    Index("ix_campaign_assignments_due", "campaign_id", "step_due_at"),
    Index("ix_campaign_assignments_member", "member_id"),
)

campaign_actions = Table(
    "campaign_actions",
    metadata,
    _id(),
    Column("assignment_id", Id, nullable=False),
    Column("campaign_id", Id, nullable=False),
    Column("member_id", Id, nullable=False),
    Column("step", Integer, nullable=False),
    Column("kind", String(10), nullable=False),
    Column("marketing", Boolean, nullable=False),
    Column("points", BigInteger, nullable=False, server_default="0"),
    Column("done_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("assignment_id", "step", name="uq_campaign_actions_step"),
    CheckConstraint("kind in ('message', 'gift', 'voucher', 'task', 'survey')", name="kind"),
    Index("ix_campaign_actions_member_done", "member_id", "done_at"),
    Index("ix_campaign_actions_campaign", "campaign_id", "kind"),
)

staff_tasks = Table(
    "staff_tasks",
    metadata,
    _id(),
    Column("member_id", Id, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("store_id", Id, ForeignKey("stores.id")),
    Column("campaign_id", Id, ForeignKey("campaigns.id")),
    Column("action_id", Id, unique=True),
    Column("kind", String(40), nullable=False),
    Column("title", String(200), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", String(10), nullable=False),
    Column("assignee", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True)),
    CheckConstraint("status in ('open', 'done')", name="status"),
    Index("ix_staff_tasks_status_store", "status", "store_id"),
)


# --- Subscriptions: plans, contracts, plan changes, monthly bills, exit answers (issue 17) ---
# A contract's plan and fee are those it was signed on; plan changes move it later (the plan
# in force on a day is the last change's to_plan on or before it). Dates are calendar days
# in REGULARS_TIMEZONE. Bills are one row per contract and month (``month``: its first day);
# like purchases they take many rows, so their contract reference is resolved by the
# importer and carries no FOREIGN KEY. An exit survey's invitation is linked to the contract
# it asks about (``subscription_exit_invitations``); its answer — one per response: a reason,
# the competitor named, a comment — is ``subscription_exit_answers`` (beside survey_answers,
# whose rows are one scored or free-text question each: a reason is a choice of the contract,
# and must not be wiped by the retention of free text).

subscription_plans = Table(
    "subscription_plans",
    metadata,
    _id(),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("category", String(64)),
    Column("monthly_fee", BigInteger, nullable=False),
    Column("commitment_months", Integer),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    _id(),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("plan_id", Id, ForeignKey("subscription_plans.id"), nullable=False),
    Column("monthly_fee", BigInteger, nullable=False),
    Column("started_on", Date, nullable=False),
    Column("committed_until", Date),
    Column("cancelled_on", Date),
    Column("cancel_reason", String(20)),
    Column("competitor", String(100)),
    Column("channel", String(20)),
    Column("device", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "cancel_reason in ('price', 'network', 'service', 'competitor', 'moving', 'other', "
        "'non_payment')",
        name="cancel_reason",
    ),
    CheckConstraint("cancelled_on is null or cancelled_on >= started_on", name="cancelled_after"),
    CheckConstraint(
        "committed_until is null or committed_until >= started_on", name="committed_after"
    ),
    Index("ix_subscriptions_member", "member_id"),
    Index("ix_subscriptions_cancelled_on", "cancelled_on"),
)

subscription_plan_changes = Table(
    "subscription_plan_changes",
    metadata,
    _id(),
    Column("external_id", String(200), nullable=False, unique=True),
    Column("subscription_id", Id, ForeignKey("subscriptions.id"), nullable=False),
    Column("changed_on", Date, nullable=False),
    Column("from_plan_id", Id, ForeignKey("subscription_plans.id"), nullable=False),
    Column("to_plan_id", Id, ForeignKey("subscription_plans.id"), nullable=False),
    Column("fee_before", BigInteger, nullable=False),
    Column("fee_after", BigInteger, nullable=False),
    Index("ix_subscription_plan_changes_subscription", "subscription_id", "changed_on"),
)

subscription_bills = Table(
    "subscription_bills",
    metadata,
    Column("subscription_id", Id, primary_key=True, autoincrement=False),
    Column("month", Date, primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("data_gb", Float(precision=53)),
    Column("voice_minutes", Float(precision=53)),
    Column("usage", Float(precision=53)),
)

subscription_exit_invitations = Table(
    "subscription_exit_invitations",
    metadata,
    Column(
        "invitation_id",
        Id,
        ForeignKey("survey_invitations.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("subscription_id", Id, ForeignKey("subscriptions.id"), nullable=False),
    Index("ix_subscription_exit_invitations_subscription", "subscription_id"),
)

subscription_exit_answers = Table(
    "subscription_exit_answers",
    metadata,
    _id(),
    Column("response_id", String(64), nullable=False, unique=True),
    Column("subscription_id", Id, ForeignKey("subscriptions.id"), nullable=False),
    Column("survey_id", Id, ForeignKey("surveys.id")),
    Column("reason", String(20), nullable=False),
    Column("competitor", String(100)),
    Column("comment", Text),
    Column("language", String(8), nullable=False),
    Column("collected_at", DateTime(timezone=True), nullable=False),
    Column("source", String(10), nullable=False),
    CheckConstraint(
        "reason in ('price', 'network', 'service', 'competitor', 'moving', 'other')",
        name="reason",
    ),
    CheckConstraint("source in ('link', 'api')", name="source"),
    Index("ix_subscription_exit_answers_subscription", "subscription_id"),
    Index("ix_subscription_exit_answers_collected_at", "collected_at"),
)
# --- The till (issue 16): voids of sales and of redemptions ---------------------------------
# A till's cancel key. Voiding a sale records, beside it, the refund that cancels it in full
# (``refund_id``, a purchase of kind ``refund`` written by the system, so that every figure
# net of refunds — analytics, tiers, the discount card — treats the sale as never made) and
# takes back what the sale posted; voiding a redemption gives its points back to the lots
# they came from (ledger kind ``void``). Who voided (the API key), when and why are kept here,
# with the answer given, so that voiding again answers the same.

till_voids = Table(
    "till_voids",
    metadata,
    _id(),
    Column("kind", String(12), nullable=False),
    Column("purchase_id", Id, ForeignKey("purchases.id"), unique=True),
    Column("refund_id", Id, ForeignKey("purchases.id")),
    Column("transaction_id", Id, ForeignKey("ledger_transactions.id"), unique=True),
    Column("actor", String(200), nullable=False),
    Column("reason", Text),
    Column("voided_at", DateTime(timezone=True), nullable=False),
    Column("answer", Text, nullable=False),
    CheckConstraint("kind in ('purchase', 'redemption')", name="kind"),
    CheckConstraint(
        "(kind = 'purchase' and purchase_id is not null and transaction_id is null) or "
        "(kind = 'redemption' and transaction_id is not null and purchase_id is null)",
        name="voids_one_thing",
    ),
)

# Churn scores written back (issue 17): one row per active contract as of the last
# ``regulars subscriptions score`` (replaced whole), beside the members' CLV scores.
subscription_scores = Table(
    "subscription_scores",
    metadata,
    Column(
        "subscription_id",
        Id,
        ForeignKey("subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("model", String(10), nullable=False),
    Column("tenure_days", Integer, nullable=False),
    Column("cancel_probability_30d", Float(precision=53), nullable=False),
    Column("cancel_probability_90d", Float(precision=53), nullable=False),
    Column("median_residual_days", Float(precision=53)),
    Column("loyalty_index", Float(precision=53)),
    Column("loyalty_band", String(10)),
    CheckConstraint("model in ('cox', 'weibull')", name="model"),
    Index("ix_subscription_scores_member", "member_id"),
)
