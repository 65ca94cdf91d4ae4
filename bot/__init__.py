"""smtp-help: diagnose SMTP sending problems from pasted errors and settings."""

__all__ = ["__version__"]
__version__ = "0.1.0"
