"""Survey invitations: after a purchase or in periodic waves, into the outbox.

Rules, in the order they are applied to each candidate:

1. **sampling** — a stable draw keyed on the survey and the purchase (or wave and member)
   keeps the survey's ``sampling`` share, the same share on every run;
2. **cooldown** — nobody is asked more often than ``cooldown`` (default 30 days) across
   *all* surveys, counting invitations made earlier in the same run;
3. **consent** — only through a channel the member consented to (email, then SMS, then push);
   a member who consented to none is not asked.

Each invitation has a ``dedupe_key`` (the purchase, or the wave and member), so running the
dispatch twice invites nobody twice. After a purchase, the message waits in the outbox until
the survey's delay has passed (``available_at``); the link expires ``link_validity_days``
after.

**No working link is stored anywhere.** The token's nonce is derived from the invitation's
``dedupe_key`` and the installation's secret (:func:`invitation_token`); the invitation
keeps only the token's hash and the outbox message only the invitation's id. The link is
rebuilt, with the secret, when the message is composed
(:mod:`regulars.services.engagement.messages`) — a copy of the database alone yields no
token that :func:`~regulars.services.feedback.links.open_link` accepts. The operator who runs
the dispatch holds the secret and sees the links in :attr:`DispatchReport.links`.

(A service rather than part of ``engagement``: the layers contract keeps ``services`` and
``engagement`` independent, and dispatch needs the consent rule and the business errors.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from regulars.domain.feedback.links import make_token, token_hash
from regulars.domain.feedback.surveys import (
    DEFAULT_COOLDOWN,
    SurveyDefinition,
    SurveyKind,
    may_invite,
    sampled,
)
from regulars.domain.times import as_utc, wire
from regulars.services.errors import Invalid, NotFound
from regulars.services.feedback.cases import first_consented
from regulars.store import members as member_store
from regulars.store import outbox
from regulars.store.feedback import candidates
from regulars.store.feedback import invitations as invitation_store
from regulars.store.feedback import surveys as survey_store
from regulars.store.unit_of_work import UnitOfWork

TOPIC = "survey.invitation"
DEFAULT_LOOKBACK = timedelta(days=7)


def invitation_token(secret: str, invitation_key: str) -> str:
    """The link token of the invitation whose ``dedupe_key`` is ``invitation_key``.

    Its nonce is ``HMAC(secret, "invitation:" + key)``: the same on every rebuild, and
    impossible to compute without the secret.

    >>> invitation_token("s", "k") == invitation_token("s", "k") != invitation_token("t", "k")
    True
    """
    digest = hmac.new(secret.encode(), f"invitation:{invitation_key}".encode(), hashlib.sha256)
    nonce = base64.urlsafe_b64encode(digest.digest()[:18]).decode()
    return make_token(secret, nonce=nonce)


def survey_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


@dataclass
class DispatchReport:
    """How many were invited, and why the others were not."""

    invited: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    links: list[str] = field(default_factory=list)
    """The links made in this run (for tests and the CLI's ``--show-links``)."""

    def as_dict(self) -> dict[str, Any]:
        return {"invited": self.invited, "skipped": dict(sorted(self.skipped.items()))}


class Dispatch:
    """One run of invitations to one survey: the rules above, applied candidate by candidate
    (also by the exit survey's dispatch, :mod:`regulars.services.subscriptions.exits`)."""

    def __init__(
        self,
        uow: UnitOfWork,
        survey: str,
        now: datetime,
        secret: str,
        base_url: str,
        cooldown: timedelta,
    ) -> None:
        row = survey_store.survey_by_code(uow.connection, survey)
        if row is None:
            raise NotFound(f"no survey with code {survey!r}")
        self.definition = SurveyDefinition.from_json(row["definition"])
        if not self.definition.active:
            raise Invalid(f"survey {survey!r} is not active")
        self.survey_id = int(row["id"])
        self.uow, self.now, self.secret, self.cooldown = uow, now, secret, cooldown
        self.base_url = base_url.rstrip("/")
        self.report = DispatchReport()
        self.last: dict[int, datetime] = {}
        self.consent: dict[tuple[int, str], bool] = {}
        self.locales: dict[int, str] = {}

    def refuse_exit_survey(self) -> None:
        """An exit survey asks why a contract was cancelled: it goes out on cancellations only."""
        if self.definition.kind is SurveyKind.EXIT:
            raise Invalid(
                f"survey {self.definition.code!r} is an exit survey: it is sent when a contract "
                "is cancelled (regulars subscriptions invite-exits), not after purchases or in "
                "waves"
            )

    def load_history(self, member_ids: list[int]) -> None:
        """Read the candidates' last invitations, consent and language in bulk."""
        connection = self.uow.connection
        stored = invitation_store.last_invited(connection, member_ids)
        self.last.update({m: as_utc(at) for m, at in stored.items()})
        self.consent = member_store.consent_state(connection, member_ids)
        self.locales = candidates.member_locales(connection, member_ids)

    def _admitted(self, member_id: int, sample_key: str) -> tuple[str, str] | None:
        """The member's channel and language if the rules let them be invited (else the
        reason is counted)."""
        if not sampled(sample_key, self.definition.sampling):
            self.report.skipped["not_sampled"] += 1
            return None
        if not may_invite(self.last.get(member_id), self.now, self.cooldown):
            self.report.skipped["cooldown"] += 1
            return None
        channel = first_consented(self.consent, member_id)
        if channel is None:
            self.report.skipped["no_consent"] += 1
            return None
        locale = self.locales.get(member_id)
        if locale is None:
            self.report.skipped["erased"] += 1
            return None
        return channel, locale

    def _invitation(
        self,
        member_id: int,
        admitted: tuple[str, str],
        dedupe_key: str,
        available_at: datetime,
        context: dict[str, Any],
    ) -> tuple[dict[str, Any], str]:
        """The invitation's row and its link's token."""
        token = invitation_token(self.secret, dedupe_key)
        row = {
            "survey_id": self.survey_id,
            "member_id": member_id,
            "channel": admitted[0],
            "language": admitted[1],
            "dedupe_key": dedupe_key,
            "token_hash": token_hash(token),
            "created_at": self.now,
            "expires_at": available_at + self.definition.link_validity,
            **context,
        }
        return row, token

    def _message(self, invitation_id: int, row: dict[str, Any], available_at: datetime,
                 occasion: str) -> dict[str, Any]:  # fmt: skip
        """The outbox event of an invitation just added (its link is rebuilt at sending)."""
        self.last[int(row["member_id"])] = self.now
        self.report.invited += 1
        return {
            "topic": TOPIC,
            "payload": {
                "invitation": invitation_id,
                "survey": self.definition.code,
                "name": self.definition.name,
                "language": row["language"],
                "occasion": occasion,
                "base_url": self.base_url,
                "expires_at": wire(row["expires_at"]),
            },
            "member_id": row["member_id"],
            "channel": row["channel"],
            "dedupe_key": f"{TOPIC}:{invitation_id}",
            "created_at": self.now,
            "available_at": available_at,
        }

    def invite(
        self,
        member_id: int,
        sample_key: str,
        dedupe_key: str,
        available_at: datetime,
        context: dict[str, Any],
        occasion: str,
    ) -> int | None:
        """Invite the member unless a rule says no; the invitation's id (None: not invited)."""
        admitted = self._admitted(member_id, sample_key)
        if admitted is None:
            return None
        row, token = self._invitation(member_id, admitted, dedupe_key, available_at, context)
        invitation_id = invitation_store.add_invitation(self.uow.connection, row)
        if invitation_id is None:
            self.report.skipped["already_invited"] += 1
            return None
        outbox.enqueue_many(
            self.uow.connection, [self._message(invitation_id, row, available_at, occasion)]
        )
        self.report.links.append(survey_link(self.base_url, token))
        return invitation_id

    def invite_all(
        self, members: list[tuple[int, str]], available_at: datetime, occasion: str
    ) -> None:
        """Invite these (member, dedupe key) pairs, each once (the key is also the sampling
        key), under the same rules as :meth:`invite`: the rules in memory, then every
        invitation in one statement and their messages in another."""
        rows: list[dict[str, Any]] = []
        tokens: dict[str, str] = {}
        for member_id, key in members:
            admitted = self._admitted(member_id, key)
            if admitted is None:
                continue
            row, tokens[key] = self._invitation(member_id, admitted, key, available_at, {})
            rows.append(row)
        added = invitation_store.add_invitations(self.uow.connection, rows)
        messages = []
        for row in rows:
            invitation_id = added.get(row["dedupe_key"])
            if invitation_id is None:
                self.report.skipped["already_invited"] += 1
                continue
            messages.append(self._message(invitation_id, row, available_at, occasion))
            self.report.links.append(survey_link(self.base_url, tokens[row["dedupe_key"]]))
        outbox.enqueue_many(self.uow.connection, messages)


def invite_after_purchases(
    uow: UnitOfWork,
    survey: str,
    now: datetime,
    *,
    secret: str,
    base_url: str,
    lookback: timedelta = DEFAULT_LOOKBACK,
    cooldown: timedelta = DEFAULT_COOLDOWN,
) -> DispatchReport:
    """Invite the members who bought in the last ``lookback`` to rate that purchase."""
    dispatch = Dispatch(uow, survey, now, secret, base_url, cooldown)
    dispatch.refuse_exit_survey()
    bought = candidates.purchases_between(uow.connection, now - lookback, now)
    dispatch.load_history(sorted({int(p["member_id"]) for p in bought}))
    delay = dispatch.definition.after_purchase_delay
    for purchase in bought:
        key = f"{survey}:purchase:{purchase['external_id']}"
        dispatch.invite(
            int(purchase["member_id"]),
            key,
            key,
            max(now, as_utc(purchase["occurred_at"]) + delay),
            {
                "purchase_id": purchase["id"],
                "store_id": purchase["store_id"],
                "sales_channel": purchase["channel"],
                "employee_id": purchase["employee_id"],
                "department_id": purchase["department_id"],
            },
            "purchase",
        )
    return dispatch.report


def invite_wave(
    uow: UnitOfWork,
    survey: str,
    wave: str,
    now: datetime,
    *,
    secret: str,
    base_url: str,
    segment: str | None = None,
    cooldown: timedelta = DEFAULT_COOLDOWN,
) -> DispatchReport:
    """A periodic wave (``wave`` names it, e.g. ``2026-Q4``): invite the sampled members."""
    if not wave.strip() or len(wave) > 60:
        raise Invalid("wave: give it a name of 1-60 characters, e.g. 2026-Q4")
    dispatch = Dispatch(uow, survey, now, secret, base_url, cooldown)
    dispatch.refuse_exit_survey()
    everyone = candidates.active_members(uow.connection, segment)
    dispatch.load_history([int(m["id"]) for m in everyone])
    for member in everyone:
        key = f"{survey}:wave:{wave}:{member['external_id']}"
        dispatch.invite(int(member["id"]), key, key, now, {}, "wave")
    return dispatch.report


def invite_members(
    uow: UnitOfWork,
    survey: str,
    member_ids: list[int],
    now: datetime,
    *,
    secret: str,
    base_url: str,
    key: str,
    cooldown: timedelta = timedelta(0),
) -> DispatchReport:
    """Invite these members (a campaign's re-survey step): the survey's sampling and consent
    apply, ``cooldown`` since each member's last invitation; ``key`` makes each invitation
    once per member (``{key}:{member id}``)."""
    dispatch = Dispatch(uow, survey, now, secret, base_url, cooldown)
    dispatch.load_history(member_ids)
    unique = list(dict.fromkeys(member_ids))
    dispatch.invite_all([(m, f"{survey}:{key}:{m}") for m in unique], now, "campaign")
    return dispatch.report
