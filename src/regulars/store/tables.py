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
