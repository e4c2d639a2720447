"""The SSRF guard on literal addresses and on names (resolved by a stand-in resolver)."""

import pytest

from regulars.channels.destinations import (
    RefusedDestination,
    Resolver,
    UnresolvedDestination,
    check_destination,
)


def _resolver(answers: dict[str, list[str]]) -> Resolver:
    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"{host}: Name or service not known")
        return answers[host]

    return resolve


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8000/hook", "loopback"),
        ("http://127.8.9.10/", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://10.0.0.5/", "private"),
        ("http://172.16.3.4/", "private"),
        ("http://192.168.0.10/", "private"),
        ("http://[fd00::1]/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "private"),  # 240/4 is reserved; Python counts it private
        ("http://192.0.2.7/", "private"),  # documentation range (TEST-NET-1)
        ("http://100.64.0.1/", "non-public"),
    ],
)
def test_non_public_addresses_are_refused(url: str, kind: str) -> None:
    with pytest.raises(RefusedDestination, match=f"is a {kind} address"):
        check_destination(url)
    check_destination(url, allow_private=True)


def test_a_name_that_resolves_inside_the_network_is_refused() -> None:
    resolve = _resolver({"hooks.shop.example": ["93.184.215.14", "10.0.0.8"]})
    with pytest.raises(RefusedDestination, match=r"10\.0\.0\.8 is a private address"):
        check_destination("https://hooks.shop.example/in", resolve=resolve)


def test_a_public_name_and_a_public_address_pass() -> None:
    resolve = _resolver({"hooks.shop.example": ["93.184.215.14", "2606:2800:21f:cb07::1"]})
    check_destination("https://hooks.shop.example/in", resolve=resolve)
    check_destination("http://93.184.215.14:8080/in")


def test_a_name_that_does_not_resolve_is_told_apart() -> None:
    with pytest.raises(UnresolvedDestination, match="does not resolve"):
        check_destination("https://gone.example/", resolve=_resolver({}))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://93.184.215.14/x", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://93.184.215.14/", "only http and https"),
        ("https:///nohost", "no host"),
        ("https://93.184.215.14:99999/", "Port out of range"),
    ],
)
def test_other_schemes_and_broken_urls_are_refused_even_when_private_is_allowed(
    url: str, reason: str
) -> None:
    with pytest.raises(RefusedDestination, match=reason):
        check_destination(url, allow_private=True)
