"""CLI commands of the diagnosis engine."""

__all__: list[str] = []
