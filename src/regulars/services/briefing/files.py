"""Writing the briefing: ``report.json`` and the self-contained ``report.html``."""

from __future__ import annotations

import json
from pathlib import Path

from regulars.services.briefing.build import Briefing
from regulars.services.briefing.document import briefing_json
from regulars.services.briefing.formatting import Formatter
from regulars.services.briefing.page import render_page


def write_briefing(briefing: Briefing, formatter: Formatter, out_dir: Path) -> dict[str, Path]:
    """Write both files into ``out_dir`` (created if missing); their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "report.json"
    data = briefing_json(briefing, formatter)
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    html_path = out_dir / "report.html"
    html_path.write_text(render_page(briefing, formatter), encoding="utf-8")
    return {"json": json_path, "html": html_path}
