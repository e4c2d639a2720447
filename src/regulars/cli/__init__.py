"""The ``regulars`` command line (Typer). The same services as the API.

One module per group of commands; each registers itself on :data:`app` here. (A package
rather than DESIGN.md's single ``cli.py``: the commands of every area would not fit in one
readable module.) Every command runs inside one error boundary (:mod:`regulars.cli.boundary`):
a user sees what went wrong and what to do, never a traceback, and a non-zero exit code.
"""

from __future__ import annotations

import sys

import typer

from regulars.cli import (
    analytics,
    campaigns,
    data,
    deliver,
    demo,
    feedback,
    keys,
    ledger,
    members,
    programs,
    scores,
    serve,
    staff,
    subscriptions,
    webhooks,
)
from regulars.cli.root import app

__all__ = ["app", "main"]

app.add_typer(data.import_app, name="import")
app.add_typer(data.export_app, name="export")
app.add_typer(keys.app, name="keys")
app.add_typer(feedback.app, name="feedback")
app.add_typer(programs.programs_app, name="programs")
app.add_typer(programs.loyalty_app, name="loyalty")
app.add_typer(scores.app, name="scores")
app.add_typer(members.members_app, name="members")
app.add_typer(members.privacy_app, name="privacy")
app.add_typer(ledger.app, name="ledger")
app.add_typer(deliver.app, name="deliver")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(staff.app, name="staff")
app.add_typer(campaigns.app, name="campaigns")
app.add_typer(subscriptions.app, name="subscriptions")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("migrate")(serve.migrate)
analytics.register(app)


def main() -> None:
    """The ``regulars`` program. The root group already turns a command's exception into a
    message; this catches what could escape before a command runs."""
    from regulars.cli.boundary import debugging, explain, report

    try:
        app(prog_name="regulars")
    except (typer.Exit, typer.Abort):  # pragma: no cover - Typer's main handles these
        raise
    except Exception as error:
        if debugging():
            raise
        code, message = explain(error)
        report(message)
        sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
