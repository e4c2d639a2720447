"""An audience filter (``domain/engagement/audiences.py``) compiled into one SQL query.

:func:`audience_query` answers a ``SELECT members.id AS member_id FROM members …`` that
joins only the sources the filter names: ``member_scores``, ``member_analytics`` and any
other table with one row per ``member_id`` (:data:`SOURCES`, left joins: a member without a
row has missing values), the home store, the loyalty account in the campaign's program, the
consent in force per channel (read per member, see :func:`consent_granted`), and open
detractor cases. Erased members are never in an
audience. The campaign's own conditions (not entered yet, consent for its message, the
open-case rule) are added by ``store/engagement/candidates.py`` to the same statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Subquery,
    and_,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy import Table as SqlTable

from regulars.domain.engagement.audiences import (
    AllOf,
    AnyOf,
    Condition,
    FieldType,
    Filter,
    Not,
    birthdays_today,
    days_bounds,
    sources,
)
from regulars.domain.times import as_utc
from regulars.store.dialect import month_day
from regulars.store.subscriptions import scores as subscription_scores
from regulars.store.tables import (
    feedback_cases,
    loyalty_accounts,
    member_analytics,
    member_consents,
    member_scores,
    members,
    stores,
)

SOURCES: dict[str, SqlTable | Subquery] = {
    "member_scores": member_scores,
    "member_analytics": member_analytics,
    "subscription_scores": subscription_scores.per_member(),
}
"""Sources that are a table (or subquery) with one row per ``member_id``: a new one is one
line here."""

OPEN_CASE = ("open", "in_progress")
CONSENT_CHANNELS = ("email", "sms", "push")


@dataclass(frozen=True)
class Context:
    """What a filter is evaluated against: the moment of the run, the business's day and
    time zone, and the campaign's loyalty program (its store id)."""

    now: datetime
    zone: tzinfo
    program_id: int | None = None

    @property
    def today(self) -> date:
        return as_utc(self.now).astimezone(self.zone).date()

    def day_start(self, day: date) -> datetime:
        """Midnight of ``day`` in the business's time zone, in UTC."""
        return as_utc(datetime.combine(day, datetime.min.time(), tzinfo=self.zone))


def consent_granted(channel: str) -> ColumnElement[bool]:
    """Whether the member's consent in force on ``channel`` is a grant: the latest event of
    their history there (never asked: no). A scalar subquery per member, read through the
    history's index (member, channel, time) for the members the other conditions keep —
    not an aggregate over every member's history."""
    latest = (
        select(member_consents.c.granted)
        .where(member_consents.c.member_id == members.c.id, member_consents.c.channel == channel)
        .order_by(member_consents.c.at.desc(), member_consents.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, False).is_(True)


def open_case_of(member_id: Any) -> ColumnElement[bool]:
    """Whether the member has a detractor case still open or in progress."""
    return exists().where(
        feedback_cases.c.member_id == member_id, feedback_cases.c.status.in_(OPEN_CASE)
    )


class Compiler:
    """Builds the joins and the WHERE clause of one filter."""

    def __init__(self, context: Context, wanted: Iterable[str]) -> None:
        self.context = context
        self.joined: dict[str, Any] = {}
        self.from_: FromClause = members
        for source in sorted(set(wanted)):
            self._join(source)

    def _join(self, source: str) -> Any:
        if source in self.joined or source in ("members", "open_case", "consent"):
            return self.joined.get(source)
        if source == "home_store":
            analytics = self._join("member_analytics")
            home = stores.alias("home_store")
            self.from_ = self.from_.outerjoin(home, home.c.id == analytics.c.home_store_id)
            self.joined[source] = home
        elif source == "loyalty":
            if self.context.program_id is None:
                raise ValueError("the audience's loyalty fields need the campaign's program")
            account = loyalty_accounts.alias("account")
            self.from_ = self.from_.outerjoin(
                account,
                and_(
                    account.c.member_id == members.c.id,
                    account.c.program_id == self.context.program_id,
                ),
            )
            self.joined[source] = account
        elif source in SOURCES:
            table = SOURCES[source]
            self.from_ = self.from_.outerjoin(table, table.c.member_id == members.c.id)
            self.joined[source] = table
        else:
            raise ValueError(f"no source {source!r} in the store")
        return self.joined[source]

    def select(self, *columns: Any, where: Iterable[ColumnElement[bool]] = ()) -> Select[Any]:
        """``SELECT members.id AS member_id, *columns`` over the joined sources, members not
        erased, with the ``where`` conditions."""
        return (
            select(members.c.id.label("member_id"), *columns)
            .select_from(self.from_)
            .where(members.c.erased_at.is_(None), *where)
        )

    def column(self, source: str, name: str) -> Any:
        if source == "members":
            return members.c[name]
        return self._join(source).c[name]

    def where(self, audience: Filter) -> ColumnElement[bool]:
        if isinstance(audience, AllOf):
            return and_(true(), *(self.where(p) for p in audience.parts))
        if isinstance(audience, AnyOf):
            return or_(false(), *(self.where(p) for p in audience.parts))
        if isinstance(audience, Not):
            return not_(self.where(audience.part))
        return self.condition(audience)

    def condition(self, c: Condition) -> ColumnElement[bool]:
        field = c.field
        if field.type is FieldType.BOOLEAN:
            predicate = self.flag(c)
            holds = c.value if c.op == "eq" else not c.value
            return predicate if holds else not_(predicate)
        column = self.column(field.source, field.column)
        if c.op == "is_null":
            return column.is_(None) if c.value else column.is_not(None)  # type: ignore[no-any-return]
        if field.type is FieldType.DAYS:
            return self.days(c, column)
        return compare(column, c.op, c.value)

    def flag(self, c: Condition) -> ColumnElement[bool]:
        """A boolean field as a predicate that is never NULL."""
        field = c.field
        if field.source == "open_case":
            return open_case_of(members.c.id)
        if field.source == "consent":
            return consent_granted(field.column)
        if field.name == "birthday_today":
            days = [f"{m:02d}-{d:02d}" for m, d in birthdays_today(self.context.today)]
            column = members.c.birth_date
            return and_(column.is_not(None), month_day(column).in_(days))
        column = self.column(field.source, field.column)
        return func.coalesce(column, False).is_(True)

    def days(self, c: Condition, column: Any) -> ColumnElement[bool]:
        """Whole local days since (or until) a stored time, within the condition's range."""
        low, high = days_bounds(c.op, c.value)
        today = self.context.today
        parts: list[ColumnElement[bool]] = [column.is_not(None)]
        dated = isinstance(column.type, type(members.c.signup_date.type))
        since = c.field.direction > 0
        for bound, is_low in ((low, True), (high, False)):
            if bound is None:
                continue
            if since:  # days = today - day(column)
                day = today - timedelta(days=bound)
                if dated:
                    parts.append(column <= day if is_low else column >= day)
                elif is_low:
                    parts.append(column < self.context.day_start(day + timedelta(days=1)))
                else:
                    parts.append(column >= self.context.day_start(day))
            else:  # days = day(column) - today
                day = today + timedelta(days=bound)
                if is_low:
                    parts.append(column >= self.context.day_start(day))
                else:
                    parts.append(column < self.context.day_start(day + timedelta(days=1)))
        return and_(*parts)


def compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "eq":
        return column == value  # type: ignore[no-any-return]
    if op == "ne":
        return column != value  # type: ignore[no-any-return]
    if op == "lt":
        return column < value  # type: ignore[no-any-return]
    if op == "le":
        return column <= value  # type: ignore[no-any-return]
    if op == "gt":
        return column > value  # type: ignore[no-any-return]
    if op == "ge":
        return column >= value  # type: ignore[no-any-return]
    if op == "in":
        return column.in_(list(value))  # type: ignore[no-any-return]
    if op == "not_in":
        return and_(column.is_not(None), column.not_in(list(value)))
    if op == "between":
        return column.between(*value)  # type: ignore[no-any-return]
    raise ValueError(f"unknown operator {op!r}")


def audience_query(
    audience: Filter, context: Context, extra_sources: Iterable[str] = ()
) -> tuple[Compiler, ColumnElement[bool]]:
    """The compiler of ``audience`` (joined with its sources and ``extra_sources``) and its
    WHERE condition; :meth:`Compiler.select` turns them into the one query."""
    compiler = Compiler(context, sources(audience) | set(extra_sources))
    return compiler, compiler.where(audience)
