"""Command-line front: `smtp-help diagnose|kb check|console|run|serve|probe|feedback|worker`.

Every command lives in bot/commands/ (`serve` in bot/slack/serve.py: it is the Slack server) in a module that exposes
`add_arguments(parser)` and `run(args, settings) -> int`; they are imported only when used, so the
diagnosis CLI starts fast and does not pull in Slack or database code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from bot.errors import SmtpHelpError
from bot.settings import DOTENV_COMMANDS, Settings, with_dotenv

__all__ = ["main"]

EPILOG = """\
examples:
  smtp-help                                  the local console (no Slack credentials), or the Slack app
  smtp-help diagnose "535 5.7.8 Username and Password not accepted"
  pbpaste | smtp-help diagnose --json        a paste on stdin, one JSON answer
  smtp-help diagnose --jsonl < pastes.jsonl  {"id": ..., "text": ...} per line, one answer per line
  smtp-help probe smtp.example.com           live probe (DNS, connect, TLS, AUTH offered; never sends mail)
  smtp-help kb check                         validate knowledge/ after editing it

environment:
  SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET      the Slack app over HTTP (PORT, default 3000)
  SLACK_APP_TOKEN                            Socket Mode instead of a public URL
  SLACK_CLIENT_ID, SLACK_CLIENT_SECRET       OAuth install for several workspaces
  DATABASE_URL, REDIS_URL                    PostgreSQL and Redis to scale out (default: SQLite, SMTP_HELP_DB)
  SMTP_HELP_PROBE_DNS_SERVERS                resolvers every probe uses
  PROBE_TIMEOUT, PROBE_CONCURRENCY           probe budget (seconds) and parallel ports
  LOG_LEVEL                                  DEBUG, INFO (default), WARNING, ERROR
  NO_COLOR                                   any non-empty value: no bold in answers on a terminal
  (run, serve, console and worker also read them from a .env file in the working directory: see .env.example)

exit codes:
  0 answered   1 a --jsonl batch had bad lines   2 bad input or usage (one line on stderr)   130 interrupted
"""


def _version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return "unknown"
    try:
        return version("smtp-help")
    except PackageNotFoundError:
        return "unknown"


# name -> (module, help); each module has add_arguments(parser) and run(args, settings) -> int
PLUGGED_COMMANDS: dict[str, tuple[str, str]] = {
    "diagnose": ("bot.commands.diagnose", "diagnose a pasted SMTP error or settings (TEXT, or stdin)"),
    "kb": ("bot.commands.kb", "knowledge-base tools: `kb check` validates knowledge/"),
    "console": ("bot.commands.console", "local console: paste an error, read the reply (no Slack needed)"),
    "probe": ("bot.commands.probe", "live-probe an SMTP server: HOST[:PORT] or smtp(s):// URL"),
    "serve": ("bot.slack.serve", "run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)"),
    "feedback": ("bot.commands.feedback", "per-cause feedback report: what helped, what did not"),
    "worker": ("bot.commands.worker", "run the probe job worker (needs REDIS_URL)"),
}


def _load(name: str) -> ModuleType:
    return importlib.import_module(PLUGGED_COMMANDS[name][0])


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The argparse tree. Only the chosen command's module is imported to add its arguments: `serve` should not
    carry the probe CLI or the database migrations in memory just to list them in --help."""
    parser = argparse.ArgumentParser(prog="smtp-help", description=__doc__.splitlines()[0], epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"smtp-help {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="the main job: Slack app with credentials, local console without")
    for name, (_module, help_text) in PLUGGED_COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if name != chosen:
            continue
        try:
            _load(name).add_arguments(p)
        except ImportError:
            p.set_defaults(unavailable=True)
    return parser


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first word that is one), before argparse runs."""
    return next((word for word in argv if word in PLUGGED_COMMANDS or word == "run"), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `smtp-help` console script."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_chosen(words))
    args = parser.parse_args(words)
    try:
        # the commands that run the bot read a .env in the working directory (the environment wins); others never
        env = with_dotenv(os.environ) if (args.command or "run") in DOTENV_COMMANDS else os.environ
        settings = Settings.from_env(env)
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                            stream=sys.stderr)
        command = args.command or "run"
        if command == "run":
            command = "console" if settings.slack_mode == "console" else "serve"
            if command == "console":
                print("Starting the local console (no SLACK_BOT_TOKEN or SLACK_CLIENT_ID set)…", file=sys.stderr)
            parser = build_parser(command)
            args = parser.parse_args([command])
        if getattr(args, "unavailable", False):
            print(f"smtp-help: the {command!r} command is not available in this build", file=sys.stderr)
            return 2
        result: int = _load(command).run(args, settings)
        return result
    except SmtpHelpError as exc:
        print(f"smtp-help: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
