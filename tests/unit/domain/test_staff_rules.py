"""Roles, scopes and the sign-in throttle (domain/staff.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from regulars.domain.staff import (
    CHAIN_WIDE,
    MAX_FAILURES_PER_ACCOUNT,
    MAX_FAILURES_PER_ADDRESS,
    THROTTLE_WINDOW,
    Permission,
    Role,
    StaffScope,
    may,
    parse_role,
    password_problem,
    throttled_for,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_roles_table() -> None:
    assert all(may(Role.OWNER, p) for p in Permission)
    for p in (Permission.MANAGE_STAFF, Permission.READ_AUDIT):
        assert not may(Role.MANAGER, p)
    for p in (
        Permission.EXPORT_MEMBER,
        Permission.ERASE_MEMBER,
        Permission.CHANGE_PROGRAMS,
        Permission.CHANGE_CAMPAIGNS,
    ):
        assert may(Role.MANAGER, p)
        assert not may(Role.STAFF, p)
    for p in (
        Permission.ADJUST_POINTS,
        Permission.WORK_CASES,
        Permission.CHANGE_CONSENT,
        Permission.WORK_TASKS,
    ):
        assert may(Role.STAFF, p)
        assert not may(Role.ANALYST, p)
    assert {p for p in Permission if may(Role.ANALYST, p)} == {
        Permission.VIEW_MEMBERS,
        Permission.VIEW_CASES,
        Permission.VIEW_PROGRAMS,
        Permission.VIEW_CAMPAIGNS,
    }


def test_a_user_of_one_store_never_acts_on_the_whole_chain() -> None:
    for permission in CHAIN_WIDE:
        assert not may(Role.OWNER, permission, scoped=True)
    assert may(Role.MANAGER, Permission.WORK_CASES, scoped=True)
    assert may(Role.STAFF, Permission.WORK_TASKS, scoped=True)  # a store's own tasks
    assert not may(Role.MANAGER, Permission.CHANGE_CAMPAIGNS, scoped=True)  # the chain's


def test_scopes() -> None:
    s01 = StaffScope("S01")
    assert s01.sees("S01")
    assert not s01.sees("S02")
    assert not s01.sees(None)
    assert StaffScope().sees("S02")
    assert StaffScope().sees(None)
    kitchen = StaffScope("S01", "kitchen")
    assert kitchen.sees("S01", "kitchen")
    assert not kitchen.sees("S01", "hall")
    assert not StaffScope("S01").chain_wide
    assert StaffScope().chain_wide


def test_parse_role_names_the_choices() -> None:
    assert parse_role("OWNER") is Role.OWNER
    with pytest.raises(ValueError, match="owner, manager, staff, analyst"):
        parse_role("boss")


def test_the_throttle_counts_failures_in_the_window_per_account_and_per_address() -> None:
    five = [T0 + timedelta(minutes=i) for i in range(MAX_FAILURES_PER_ACCOUNT)]
    now = T0 + timedelta(minutes=6)
    refused = throttled_for(five, [], now)
    assert refused is not None
    assert refused.reason == "account"
    assert refused.until == T0 + THROTTLE_WINDOW  # when the oldest counted failure leaves
    assert throttled_for(five[1:], [], now) is None
    assert throttled_for(five, [], T0 + THROTTLE_WINDOW + timedelta(seconds=1)) is None
    many = [T0] * MAX_FAILURES_PER_ADDRESS
    by_address = throttled_for([], many, now)
    assert by_address is not None
    assert by_address.reason == "address"
    assert throttled_for([], many[1:], now) is None


def test_passwords_need_length_not_composition() -> None:
    assert password_problem("short") is not None
    assert password_problem("a" * 10) is None
    assert password_problem("x" * 2000) is not None
