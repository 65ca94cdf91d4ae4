"""CLI commands of the diagnosis engine."""
