"""Server-rendered pages (Jinja2): the survey answer page and the staff dashboard."""
