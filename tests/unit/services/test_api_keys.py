"""API keys' rules, run on the in-memory unit of work: how a token is made, checked, revoked."""

from __future__ import annotations

import pytest
from tests.unit.services.fake_unit_of_work import FakeUnitOfWork

from regulars.domain.access import Scope
from regulars.services import api_keys


def test_a_new_key_authenticates_with_its_scopes() -> None:
    uow = FakeUnitOfWork()
    token, key = api_keys.create(uow, "till-3", "pos, Analyst")
    assert token.startswith(f"rg_{key.prefix}_")
    assert key.scopes == {Scope.POS, Scope.ANALYST}
    assert key.revoked_at is None
    assert key.created_at.utcoffset() is not None
    assert api_keys.authenticate(uow, token) == key
    assert api_keys.list_keys(uow) == [key]
    assert uow.committed is False  # the edge commits, never the use case


def test_the_stored_record_holds_no_secret() -> None:
    uow = FakeUnitOfWork()
    token, _ = api_keys.create(uow, "till-3", "pos")
    secret = token.split("_", 2)[2]
    (stored,) = uow.api_keys.all()
    assert secret.encode() not in stored.secret_hash
    assert secret not in repr(stored)
    assert len(stored.salt) == 16
    api_keys.create(uow, "till-4", "pos")
    other = uow.api_keys.all()[1]
    assert other.salt != stored.salt
    assert other.prefix != stored.prefix


def test_a_wrong_secret_with_a_right_prefix_is_refused() -> None:
    uow = FakeUnitOfWork()
    token, _ = api_keys.create(uow, "till-3", "pos")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(api_keys.InvalidApiKey, match="unknown API key"):
        api_keys.authenticate(uow, forged)
    with pytest.raises(api_keys.InvalidApiKey, match="unknown API key"):
        api_keys.authenticate(uow, "rg_00000000_" + token.split("_", 2)[2])


@pytest.mark.parametrize("token", ["hello", "rg_only-two", "xx_abcd_secret", ""])
def test_a_malformed_token_is_refused(token: str) -> None:
    with pytest.raises(api_keys.InvalidApiKey, match="malformed API key"):
        api_keys.authenticate(FakeUnitOfWork(), token)


def test_a_revoked_key_is_refused_and_revoking_again_keeps_the_first_time() -> None:
    uow = FakeUnitOfWork()
    token, key = api_keys.create(uow, "till-3", "pos")
    revoked = api_keys.revoke(uow, key.prefix)
    assert revoked.revoked_at is not None
    with pytest.raises(api_keys.InvalidApiKey, match="was revoked"):
        api_keys.authenticate(uow, token)
    again = api_keys.revoke(uow, key.prefix)
    assert again.revoked_at == revoked.revoked_at
    assert api_keys.list_keys(uow)[0].revoked_at == revoked.revoked_at


def test_revoking_an_unknown_prefix_and_unknown_scopes_are_refused() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(api_keys.InvalidApiKey, match="no API key with prefix"):
        api_keys.revoke(uow, "nope")
    with pytest.raises(ValueError, match="unknown scope 'root'"):
        api_keys.create(uow, "till-3", "pos,root")
    assert uow.api_keys.all() == []
