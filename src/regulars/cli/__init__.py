"""The ``regulars`` command line (Typer). The same services as the API.

One module per group of commands; each registers itself on :data:`app` here. (A package
rather than DESIGN.md's single ``cli.py``: the commands of every area would not fit in one
readable module.)
"""

from __future__ import annotations

import typer

from regulars.cli import (
    analytics,
    data,
    deliver,
    demo,
    feedback,
    keys,
    programs,
    scores,
    serve,
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
app.add_typer(deliver.app, name="deliver")
app.add_typer(webhooks.app, name="webhooks")
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("migrate")(serve.migrate)
analytics.register(app)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    typer.run(main)
