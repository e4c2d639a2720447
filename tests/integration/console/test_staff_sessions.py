"""Staff accounts and console sessions on the real stores (SQLite and PostgreSQL): Argon2
hashes, sessions kept only as hashes, expiry, idleness, sign-out, disabling, and the sign-in
throttle per account and per address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from regulars.bootstrap import App
from regulars.domain.staff import MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, Role
from regulars.services import audit
from regulars.services.errors import Conflict, Invalid
from regulars.services.staff import accounts, sessions
from regulars.store.tables import staff_sessions, staff_users

PASSWORD = "a long enough passphrase"
CLI = audit.Actor("cli", None, "test")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(hours=12)
IDLE = timedelta(minutes=60)


def _add(app: App, email: str = "Mina@Coffee.example", role: str = "manager", **kw: str) -> int:
    with app.unit_of_work() as uow:
        user = accounts.add_staff(uow, email, role, PASSWORD, T0, CLI, **kw)
        uow.commit()
    return user.id


def _sign_in(
    app: App, email: str, password: str, at: datetime, address: str = "10.0.0.1"
) -> object:
    with app.unit_of_work() as uow:
        try:
            result: object = sessions.sign_in(uow, email, password, address, at, lifetime=DAY)
        except sessions.SignInRefused as refused:
            result = refused
        uow.commit()
    return result


def test_passwords_are_stored_as_argon2id_hashes_and_sessions_as_sha256(app: App) -> None:
    _add(app, store="S01")
    signed = _sign_in(app, "mina@coffee.example", PASSWORD, T0)
    assert isinstance(signed, sessions.SignedIn)
    assert signed.user.email == "mina@coffee.example"  # found without regard to case
    assert signed.user.role is Role.MANAGER
    assert signed.user.scope.store == "S01"
    with app.engine.connect() as connection:
        stored = connection.execute(select(staff_users.c.password_hash)).scalar_one()
        kept = connection.execute(select(staff_sessions.c.token_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert kept == sessions.token_hash(signed.token) != signed.token


def test_a_session_lives_until_sign_out_expiry_idleness_or_the_user_is_disabled(
    app: App,
) -> None:
    staff_id = _add(app)
    owner = _add(app, "owner@coffee.example", "owner")
    signed = _sign_in(app, "mina@coffee.example", PASSWORD, T0)
    assert isinstance(signed, sessions.SignedIn)

    def live(at: datetime, token: str = signed.token) -> bool:
        with app.unit_of_work() as uow:
            found = sessions.current(uow, token, at, idle=IDLE)
            uow.commit()
        return found is not None

    assert live(T0 + timedelta(minutes=50))
    assert live(T0 + timedelta(minutes=100))  # seen at 50': not idle yet
    assert not live(T0 + timedelta(minutes=170))  # 70 minutes without a request
    assert not live(T0 + timedelta(minutes=1), "not-a-token")

    again = _sign_in(app, "mina@coffee.example", PASSWORD, T0)
    assert isinstance(again, sessions.SignedIn)
    assert not live(T0 + DAY + timedelta(seconds=1), again.token)  # the absolute lifetime
    with app.unit_of_work() as uow:
        sessions.sign_out(uow, again.token, T0 + timedelta(minutes=5))
        uow.commit()
    assert not live(T0 + timedelta(minutes=6), again.token)

    third = _sign_in(app, "mina@coffee.example", PASSWORD, T0)
    assert isinstance(third, sessions.SignedIn)
    with app.unit_of_work() as uow:
        accounts.change_staff(uow, staff_id, T0, CLI, active=False)
        uow.commit()
    assert not live(T0 + timedelta(minutes=1), third.token)
    refused = _sign_in(app, "mina@coffee.example", PASSWORD, T0 + timedelta(minutes=2))
    assert isinstance(refused, sessions.SignInRefused)
    assert refused.reason == "credentials"  # a disabled account is not told apart
    with app.unit_of_work() as uow:
        assert accounts.get_staff(uow, owner).active


def test_the_last_owner_cannot_be_disabled_or_demoted(app: App) -> None:
    owner = _add(app, "owner@coffee.example", "owner")
    with app.unit_of_work() as uow:
        with pytest.raises(Conflict, match="last active owner"):
            accounts.change_staff(uow, owner, T0, CLI, active=False)
        with pytest.raises(Conflict, match="last active owner"):
            accounts.change_staff(uow, owner, T0, CLI, role="manager")
        with pytest.raises(Invalid, match="at least 10 characters"):
            accounts.add_staff(uow, "x@coffee.example", "staff", "short", T0, CLI)
        with pytest.raises(Conflict, match="already exists"):
            accounts.add_staff(uow, "OWNER@coffee.example", "staff", PASSWORD, T0, CLI)


def test_failed_sign_ins_throttle_the_account_then_the_address(app: App) -> None:
    _add(app)
    for i in range(MAX_FAILURES_PER_ACCOUNT):
        refused = _sign_in(app, "mina@coffee.example", "wrong", T0 + timedelta(seconds=i))
        assert isinstance(refused, sessions.SignInRefused)
        assert refused.reason == "credentials"
    throttled = _sign_in(app, "mina@coffee.example", PASSWORD, T0 + timedelta(minutes=1))
    assert isinstance(throttled, sessions.SignInRefused)  # even the right password now
    assert throttled.reason == "throttled"
    assert throttled.scope == "account"
    assert throttled.until == T0 + timedelta(minutes=15)
    # Another address changes nothing for this account; the window passing does.
    elsewhere = _sign_in(
        app, "mina@coffee.example", PASSWORD, T0 + timedelta(minutes=2), "10.9.9.9"
    )
    assert isinstance(elsewhere, sessions.SignInRefused)
    later = _sign_in(app, "mina@coffee.example", PASSWORD, T0 + timedelta(minutes=16))
    assert isinstance(later, sessions.SignedIn)

    # One address trying many accounts is throttled too.
    start = T0 + timedelta(hours=1)
    for i in range(MAX_FAILURES_PER_ADDRESS):
        _sign_in(app, f"guess{i}@coffee.example", "wrong", start, "10.6.6.6")
    blocked = _sign_in(app, "mina@coffee.example", PASSWORD, start, "10.6.6.6")
    assert isinstance(blocked, sessions.SignInRefused)
    assert blocked.scope == "address"
    assert isinstance(_sign_in(app, "mina@coffee.example", PASSWORD, start), sessions.SignedIn)


def test_staff_changes_are_audited(app: App) -> None:
    staff_id = _add(app)
    with app.unit_of_work() as uow:
        accounts.change_staff(uow, staff_id, T0, CLI, role="staff", store="S02")
        uow.commit()
        entries = audit.entries(uow)
    assert [e["action"] for e in entries] == ["staff.change", "staff.add"]
    change = entries[0]
    assert change["before"]["role"] == "manager"
    assert change["after"]["role"] == "staff"
    assert change["after"]["store"] == "S02"
    assert "password_hash" not in change["after"]
    assert change["actor_kind"] == "cli"
