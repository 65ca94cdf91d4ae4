"""Settings from the environment: the only module that reads os.environ.

`Settings.from_env(os.environ)` returns a frozen object or raises ConfigError with a sentence that says
what to fix. Everything else takes a Settings (or plain keyword arguments), never the environment.

`with_dotenv(os.environ)` adds the settings of a `.env` file in the working directory, as Bolt's app templates do
with python-dotenv: the real environment wins, os.environ is not changed. The CLI uses it only for the commands that
run the bot (run, serve, console, worker), never for `diagnose`, `kb`, `probe` or `feedback`, and never when
SMTP_HELP_DOTENV=0 (tests/conftest.py sets it, so a developer's .env cannot change what the tests do).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import ConfigError

__all__ = ["DEFAULT_KNOWLEDGE_DIR", "DOTENV_COMMANDS", "Settings", "parse_dotenv", "with_dotenv"]

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
DEFAULT_SQLITE_PATH = "smtp-help.db"
DEFAULT_PORT = 3000
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DOTENV_FILE = ".env"
DOTENV_COMMANDS = frozenset({"run", "serve", "console", "worker"})
DOTENV_OFF = "SMTP_HELP_DOTENV"


def _dotenv_value(raw: str, where: str) -> str:
    """The value part of a .env line: 'single' (literal), "double" (\\n, \\t, \\" and \\\\ escapes) or bare
    (a ` #` starts a comment). No ${VAR} expansion."""
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        out: list[str] = []
        i = 1
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and quote == '"' and i + 1 < len(raw):
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(raw[i + 1], raw[i + 1]))
                i += 2
                continue
            if ch == quote:
                rest = raw[i + 1:].strip()
                if rest and not rest.startswith("#"):
                    raise ConfigError(".env", f"{where}: text after the closing quote")
                return "".join(out)
            out.append(ch)
            i += 1
        raise ConfigError(".env", f"{where}: the value's closing {quote} is missing (values are one line)")
    cut = min((i for i in (raw.find(" #"), raw.find("\t#")) if i >= 0), default=len(raw))
    return raw[:cut].rstrip()


def parse_dotenv(text: str) -> dict[str, str]:
    """NAME=value lines of a .env file, in python-dotenv's common syntax: blank lines and # comments, an optional
    `export `, quoted or bare values. ConfigError (naming the line) for anything else."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, eq, raw = line.partition("=")
        name = name.strip()
        where = f"line {number}"
        if not eq or not name or not (name[0].isalpha() or name[0] == "_") \
                or not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
            raise ConfigError(".env", f"{where} is not NAME=value (names are letters, digits and _)")
        values[name] = _dotenv_value(raw, where)
    return values


def with_dotenv(environ: Mapping[str, str], path: Path | None = None) -> dict[str, str]:
    """The environment with a .env file's settings added underneath (a variable set in the environment wins).
    No file, or SMTP_HELP_DOTENV=0 in the environment: the environment as it is."""
    env = dict(environ)
    if env.get(DOTENV_OFF, "").strip().lower() in {"0", "no", "false", "off"}:
        return env
    path = Path(DOTENV_FILE) if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return env
    except UnicodeDecodeError:
        raise ConfigError(".env", f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(".env", f"{path} cannot be read ({exc.strerror or exc})") from None
    return {**parse_dotenv(text), **env}


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(name, f"must be between {lo} and {hi}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number of seconds, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(name, f"must be between {lo} and {hi}, got {value}")
    return value


def _networks(env: Mapping[str, str], name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    raw = env.get(name, "").strip()
    nets = []
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError(name, f"{part!r} is not a CIDR network such as 127.0.0.0/8") from None
    return tuple(nets)


def _csv(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in env.get(name, "").split(",") if p.strip())


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in schemes:
        raise ConfigError(name, f"must start with one of {', '.join(s + '://' for s in schemes)}")
    if scheme != "sqlite" and not parts.hostname and not parts.path:
        raise ConfigError(name, "names no host")
    return raw


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the process is configured with."""

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = DEFAULT_PORT
    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    redis_url: str | None = None
    knowledge_dir: Path = DEFAULT_KNOWLEDGE_DIR
    probe_allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    probe_timeout_s: float = 15.0
    probe_concurrency: int = 8
    triage_bot_ids: tuple[str, ...] = ()
    log_level: str = "INFO"
    no_color: bool = False  # NO_COLOR set to a non-empty value (https://no-color.org): no bold in the terminal
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def slack_mode(self) -> str:
        """'socket', 'http', 'oauth' or 'console' (no Slack credentials at all)."""
        if self.slack_client_id:
            return "oauth"
        if self.slack_bot_token and self.slack_app_token:
            return "socket"
        if self.slack_bot_token:
            return "http"
        return "console"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read and check the environment; raise ConfigError naming the variable at fault."""
        def get(name: str) -> str | None:
            return env.get(name, "").strip() or None

        bot_token, app_token = get("SLACK_BOT_TOKEN"), get("SLACK_APP_TOKEN")
        signing, client_id, client_secret = (
            get("SLACK_SIGNING_SECRET"), get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET"))
        if bot_token and not bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
        if app_token and not app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN", "must be an app-level token starting with xapp- (Socket Mode)")
        if app_token and not bot_token:
            raise ConfigError("SLACK_BOT_TOKEN", "is needed with SLACK_APP_TOKEN (Socket Mode)")
        if bool(client_id) != bool(client_secret):
            raise ConfigError("SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID",
                              "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (OAuth install)")
        if (bot_token or client_id) and not app_token and not signing:
            raise ConfigError("SLACK_SIGNING_SECRET", "is needed in HTTP mode to verify requests from Slack")
        api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError("SLACK_API_URL", "must be an http(s):// URL")
        if not api_url.endswith("/"):
            api_url += "/"
        database_url = _url(env, "DATABASE_URL", ("sqlite", "postgresql", "postgres"))
        if database_url is None:
            database_url = f"sqlite:///{get('SMTP_HELP_DB') or DEFAULT_SQLITE_PATH}"
        level = (get("LOG_LEVEL") or "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError("LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR")
        kb_dir = Path(get("SMTP_HELP_KNOWLEDGE") or DEFAULT_KNOWLEDGE_DIR)
        return cls(
            slack_bot_token=bot_token,
            slack_signing_secret=signing,
            slack_app_token=app_token,
            slack_client_id=client_id,
            slack_client_secret=client_secret,
            slack_api_url=api_url,
            port=_int(env, "PORT", DEFAULT_PORT, 1, 65535),
            database_url=database_url,
            redis_url=_url(env, "REDIS_URL", ("redis", "rediss", "unix")),
            knowledge_dir=kb_dir,
            probe_allow_networks=_networks(env, "PROBE_ALLOW_NETWORKS"),
            probe_timeout_s=_float(env, "PROBE_TIMEOUT", 15.0, 1.0, 60.0),
            probe_concurrency=_int(env, "PROBE_CONCURRENCY", 8, 1, 256),
            triage_bot_ids=_csv(env, "TRIAGE_BOT_IDS"),
            log_level=level,
            no_color=env.get("NO_COLOR", "") != "",
            extra={k: v for k, v in env.items() if k.startswith("SMTP_HELP_")},
        )
