"""One-click opt-out: the signed link in every advertising message, and what opening it does.

:func:`unsubscribe_url` makes the link (``REGULARS_PUBLIC_URL`` + ``/unsubscribe/<token>``,
the token signed with ``REGULARS_SECRET_KEY``; see
:mod:`regulars.domain.engagement.optout`); :func:`withdraw` records the withdrawal in the
member's consent history — the same history every later message is checked against at send
time, so nothing more goes out on that channel. The page is ``regulars.web.optout``.
"""

from __future__ import annotations

from datetime import datetime

from regulars.domain.engagement.optout import OPT_OUT_VALIDITY, OptOut, opt_out_token, read_opt_out
from regulars.store import members as member_store
from regulars.store.engagement import contacts
from regulars.store.unit_of_work import UnitOfWork

SOURCE = "opt-out link"


def unsubscribe_url(
    public_url: str, secret: str, member_id: int, channel: str, now: datetime
) -> str:
    token = opt_out_token(member_id, channel, now + OPT_OUT_VALIDITY, secret)
    return f"{public_url.rstrip('/')}/unsubscribe/{token}"


def check(uow: UnitOfWork, token: str, secret: str, now: datetime) -> OptOut | None:
    """What a link withdraws, if it is genuine, unexpired and its member still exists."""
    opt_out = read_opt_out(token, secret, now)
    if opt_out is None:
        return None
    member = contacts.member_contact(uow.connection, opt_out.member_id)
    if member is None or member["erased_at"] is not None:
        return None
    return opt_out


def withdraw(uow: UnitOfWork, token: str, secret: str, now: datetime) -> OptOut | None:
    """Record the withdrawal a genuine link asks for (once: a second click adds nothing);
    None for a forged, altered or expired link."""
    opt_out = check(uow, token, secret, now)
    if opt_out is None:
        return None
    if contacts.consent_now(uow.connection, opt_out.member_id).get(opt_out.channel, False):
        member_store.add_consent_events(
            uow.connection,
            [
                {
                    "member_id": opt_out.member_id,
                    "channel": opt_out.channel,
                    "granted": False,
                    "at": now,
                    "source": SOURCE,
                }
            ],
        )
    return opt_out
