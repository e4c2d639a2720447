import pytest

from regulars.domain.access import Scope, allows, parse_scopes


def test_admin_may_do_anything_others_only_their_scope() -> None:
    assert allows(frozenset({Scope.ADMIN}), Scope.POS)
    assert allows(frozenset({Scope.POS}), Scope.POS)
    assert not allows(frozenset({Scope.ANALYST}), Scope.POS)


@pytest.mark.parametrize(
    ("text", "message"), [("", "at least one scope"), ("pos,cashier", "unknown scope 'cashier'")]
)
def test_bad_scopes_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_scopes(text)
