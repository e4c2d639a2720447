"""Which URLs a user may make the system call: the guard against server-side request forgery.

A webhook URL is typed by a user, and the worker then POSTs to it from inside the
operator's network. :func:`check_destination` refuses anything but ``http``/``https`` and any
host that is, or resolves to, a loopback, private, link-local, shared, multicast, reserved
or unspecified address — every address that is not globally routable — unless the operator
allows private destinations (``REGULARS_WEBHOOK_ALLOW_PRIVATE=1``, for a receiver on the
same machine or network).

Check on registration and again before every send (a name may be pointed elsewhere later).
A name that changes its answer between the check and the connection (DNS rebinding) is not
caught here; an operator who needs that closed puts the worker behind an egress proxy.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

Resolver = Callable[[str, int], Sequence[str]]


class RefusedDestination(ValueError):
    """The URL may not be called; the message says why."""


class UnresolvedDestination(RefusedDestination):
    """The URL's host name does not resolve (now): perhaps a passing DNS failure."""


def check_destination(
    url: str, *, allow_private: bool = False, resolve: Resolver | None = None
) -> None:
    """Raise :class:`RefusedDestination` unless ``url`` is a public http(s) address.

    ``resolve(host, port)`` returns the host's addresses (``socket.getaddrinfo`` by default).

    >>> check_destination("https://93.184.215.14/hook")
    >>> try:
    ...     check_destination("http://10.1.2.3/hook")
    ... except RefusedDestination as error:
    ...     print(str(error).split(";")[0])
    http://10.1.2.3/hook: 10.1.2.3 is a private address
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RefusedDestination(f"{url}: only http and https URLs may be called")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as error:
        raise RefusedDestination(f"{url}: {error}") from None
    if not host:
        raise RefusedDestination(f"{url}: the URL has no host")
    if allow_private:
        return
    port = port or (443 if parts.scheme == "https" else 80)
    for address in _addresses(url, host, port, resolve or _resolve):
        kind = _non_public_kind(address)
        if kind:
            raise RefusedDestination(
                f"{url}: {address} is a {kind} address; set REGULARS_WEBHOOK_ALLOW_PRIVATE=1 "
                "to allow destinations inside this network"
            )


def _addresses(url: str, host: str, port: int, resolve: Resolver) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        addresses = list(resolve(host, port))
    except OSError as error:
        raise UnresolvedDestination(f"{url}: {host} does not resolve ({error})") from None
    if not addresses:
        raise UnresolvedDestination(f"{url}: {host} does not resolve")
    return addresses


def _resolve(host: str, port: int) -> list[str]:
    infos: list[tuple[Any, ...]] = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def _non_public_kind(text: str) -> str | None:
    """Why the address is not public, or None when it is."""
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
    )
    for kind, applies in checks:
        if applies:
            return kind
    return None if address.is_global else "non-public"
