"""The SSRF guard with the machine's real resolver: names that point inside the host."""

import pytest

from regulars.channels.destinations import (
    RefusedDestination,
    UnresolvedDestination,
    check_destination,
)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.20.30.40/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/hook",
        "http://localhost:8080/hook",
        "https://LOCALHOST/hook",
    ],
)
def test_addresses_inside_the_host_or_network_are_refused(url: str) -> None:
    with pytest.raises(RefusedDestination, match="REGULARS_WEBHOOK_ALLOW_PRIVATE=1"):
        check_destination(url)
    check_destination(url, allow_private=True)


def test_a_name_that_cannot_resolve() -> None:
    with pytest.raises(UnresolvedDestination):
        check_destination("https://no-such-host.invalid/hook")  # .invalid never resolves
