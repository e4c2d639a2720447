"""``regulars members …`` (a member's data: export it, erase it) and ``regulars privacy …``
(the retention policy). The same services as ``GET /v1/members/{id}/export`` and
``DELETE /v1/members/{id}``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from regulars.cli.root import console, fail, wired

members_app = typer.Typer(
    help="A member's personal data: export it (access request), erase it (erasure request).",
    no_args_is_help=True,
)
privacy_app = typer.Typer(
    help="Personal data kept no longer than configured (REGULARS_RETENTION_*).",
    no_args_is_help=True,
)

MemberArg = Annotated[str, typer.Argument(help="The member's id (the business's own id)")]


@members_app.command("export")
def export(
    member_id: MemberArg,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON to this file (default: print)")
    ] = None,
) -> None:
    """Everything held on a member, as JSON (an access request)."""
    import json

    from regulars.services import members as member_service
    from regulars.services.errors import NotFound

    with wired().unit_of_work() as uow:
        try:
            data = member_service.export_member(uow, member_id)
        except NotFound as error:
            raise fail(f"{error}; 'regulars export members FILE' lists the members", 1) from None
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        print(text, end="")
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise fail(f"cannot write {out}: {error.strerror or error}", 1) from None
    console.print(f"wrote everything held on {member_id} to {out}")


@members_app.command("erase")
def erase(
    member_id: MemberArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase a member's personal data everywhere; purchases and points stay, pseudonymised."""
    from regulars.services import members as member_service
    from regulars.services.errors import NotFound

    application = wired()
    with application.unit_of_work() as uow:
        try:
            member_service.get_member(uow, member_id)
        except NotFound as error:
            raise fail(str(error), 1) from None
    if not yes and not typer.confirm(
        f"Erase member {member_id}'s personal data everywhere? This cannot be undone"
    ):
        raise fail("nothing erased", 1)
    with application.unit_of_work() as uow:
        try:
            pseudonym = member_service.erase_member(uow, member_id)
        except NotFound as error:
            raise fail(str(error), 1) from None
        uow.commit()
    console.print(
        f"erased {member_id}: their purchases and points stay in the books as {pseudonym}"
    )


@privacy_app.command("retention")
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be removed; change nothing")
    ] = False,
) -> None:
    """Remove free text and sent messages older than REGULARS_RETENTION_* (run it daily)."""
    from datetime import UTC, datetime

    from regulars.services.retention import apply_retention

    application = wired()
    settings = application.settings
    with application.unit_of_work() as uow:
        report = apply_retention(
            uow,
            datetime.now(UTC),
            settings.retention_free_text_days,
            settings.retention_delivery_days,
        )
        if not dry_run:
            uow.commit()
    verb = "would remove" if dry_run else "removed"
    for kind, count in report.removed.items():
        console.print(f"{verb} {count} {kind.replace('_', ' ')}")
    for kind in report.kept:
        console.print(f"kept all {kind}: no retention period is set")
