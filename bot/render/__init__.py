"""Views of a Diagnosis: terminal text, Slack Block Kit, JSON. Words come from jinja2 templates."""

__all__: list[str] = []
