""".env.example lists every variable the bot reads; .env is read by run/serve/console/worker only, under the real
environment, and never by the tests, `diagnose` or `feedback`."""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.errors import ConfigError
from bot.settings import Settings, parse_dotenv, with_dotenv

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"


def _names_the_bot_reads() -> set[str]:
    """Every NAME in `get("NAME")`, `_int(env, "NAME", …)`… in bot/settings.py; every SMTP_HELP_* string in bot/."""
    names: set[str] = set()
    tree = ast.parse((ROOT / "bot" / "settings.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.isupper() \
                        and arg.value.replace("_", "").isalnum() and arg.value not in {"INFO"}:
                    names.add(arg.value)
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("SMTP_HELP_") \
                    and node.value.replace("_", "").isalnum() and node.value.isupper():
                names.add(node.value)
    return names - {"SMTP_HELP_"}  # the prefix Settings.extra collects by


def test_env_example_lists_every_variable_commented_without_values() -> None:
    names = _names_the_bot_reads()
    assert {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DATABASE_URL", "PROBE_TIMEOUT", "SMTP_HELP_PROBE_DNS_SERVERS",
            "SMTP_HELP_DOTENV"} <= names  # the scan finds what it should
    text = EXAMPLE.read_text()
    listed = {line[2:].split("=", 1)[0] for line in text.splitlines() if line.startswith("# ") and "=" in line
              and line[2:].split("=", 1)[0].isupper() and " " not in line[2:].split("=", 1)[0]}
    assert names <= listed, f"missing from .env.example: {sorted(names - listed)}"
    assert parse_dotenv(text) == {}  # everything commented: a fresh copy changes nothing
    for secret in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_SECRET",
                   "SMTP_HELP_PROBE_PASSWORD"):
        assert f"# {secret}=\n" in text  # no value, not even a made-up one
    uncommented = "\n".join(line[2:] if line.startswith("# ") and line[2:].split("=", 1)[0] in listed else line
                            for line in text.splitlines())
    settings = Settings.from_env(parse_dotenv(uncommented))  # every example value is one the bot accepts
    assert settings.slack_mode == "console"
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


def test_parse_dotenv_syntax() -> None:
    text = ("\ufeff# comment\n\nexport SLACK_BOT_TOKEN=xoxb-1-2-abc\nLOG_LEVEL = debug  # inline comment\n"
            "SLACK_API_URL='http://127.0.0.1:8080/api/#x'\nTRIAGE_BOT_IDS=\"B01,B02\"\nEMPTY=\nHASH=a#b\n"
            'ESCAPED="line\\none \\"quoted\\""\n')
    assert parse_dotenv(text) == {
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc", "LOG_LEVEL": "debug", "SLACK_API_URL": "http://127.0.0.1:8080/api/#x",
        "TRIAGE_BOT_IDS": "B01,B02", "EMPTY": "", "HASH": "a#b", "ESCAPED": 'line\none "quoted"'}


@pytest.mark.parametrize(("text", "where"), [("SLACK_BOT_TOKEN xoxb-1", "line 1"), ("A=1\n2X=3", "line 2"),
                                             ("A='open", "line 1"), ('A="x" y', "line 1")])
def test_a_bad_env_line_is_named_without_its_value(text: str, where: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_dotenv(text)
    assert where in str(err.value)
    assert "xoxb" not in str(err.value)


def test_environment_wins_and_os_environ_is_untouched(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("LOG_LEVEL=DEBUG\nPORT=4000\n")
    env = with_dotenv({"LOG_LEVEL": "WARNING"}, dotenv)
    assert env == {"LOG_LEVEL": "WARNING", "PORT": "4000"}
    assert "PORT" not in os.environ or os.environ["PORT"] != "4000"
    assert with_dotenv({"SMTP_HELP_DOTENV": "0"}, dotenv) == {"SMTP_HELP_DOTENV": "0"}
    assert with_dotenv({}, tmp_path / "none") == {}


@pytest.fixture
def dotenv_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with a .env, the guard the tests set lifted, no Slack settings in the environment."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMTP_HELP_DOTENV")
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_SIGNING_SECRET", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    return tmp_path


def test_run_commands_read_dotenv_and_others_do_not(dotenv_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (dotenv_cwd / ".env").write_text("LOG_LEVEL=LOUD\n")  # a value only the .env has: the commands that read it fail
    for command in ("serve", "console", "worker", "run"):
        assert cli.main([command]) == 2
        assert "LOG_LEVEL" in capsys.readouterr().err
    assert cli.main(["diagnose", "535 5.7.8 Username and Password not accepted"]) == 0
    assert cli.main(["diagnose", "--json", "250 2.0.0 OK queued as 4F1A2C0123"]) == 0
    capsys.readouterr()


def test_environment_beats_dotenv_through_the_cli(dotenv_cwd: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (dotenv_cwd / ".env").write_text("LOG_LEVEL=LOUD\nSLACK_BOT_TOKEN=xoxb-from-dotenv\n")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    # the token comes from .env (serve then wants a signing secret); LOG_LEVEL from the environment is accepted
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_SIGNING_SECRET" in err
    assert "LOG_LEVEL" not in err
    assert "xoxb-from-dotenv" not in err


def test_a_dotenv_in_the_working_directory_does_not_change_the_tests(tmp_path: Path) -> None:
    """pytest run from a directory holding a .env that would break the bot and pytest alike: same result."""
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-1-2-from-dotenv\nLOG_LEVEL=LOUD\n"
                                   "PYTEST_ADDOPTS=--collect-only\nSMTP_HELP_DOTENV=1\n")
    inner = tmp_path / "test_inner.py"
    inner.write_text(
        "from bot import cli\n\n"
        "def test_serve_sees_no_dotenv(capsys):\n"
        "    assert cli.main(['serve']) == 2\n"
        "    err = capsys.readouterr().err\n"
        "    assert 'SLACK_BOT_TOKEN' in err and 'LOG_LEVEL' not in err\n")
    env = {k: v for k, v in os.environ.items() if k != "SMTP_HELP_DOTENV" and not k.startswith(("SLACK_", "PYTEST_"))}
    env.pop("LOG_LEVEL", None)
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-c", str(ROOT / "pyproject.toml"),
         "--rootdir", str(ROOT), "-p", "no:cacheprovider", str(inner)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
