"""`make run` on a first install: a few lines saying what happens, pip's noise in a log, one sentence without venv.

The real Makefile and scripts/setup-venv.sh run in a temporary copy of the repository's top level, against a fake
python3 on PATH that behaves like Debian's without python3-venv, or like a working one whose pip is noisy.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"

# What Debian's python3 prints for `python3 -m venv` when python3-venv is missing (Lib/venv/__init__.py, Debian patch)
DEBIAN_VENV_FAILURE = f"""\
The virtual environment was not created successfully because ensurepip is not
available.  On Debian/Ubuntu systems, you need to install the python3-venv
package using the following command.

    apt install python{VERSION}-venv

You may need to use sudo with that command.  After installing the python3-venv
package, recreate your virtual environment.
"""

# A fake venv's python: `-m pip install …` prints what a real pip does behind a mirror (warnings, notices) and
# succeeds, unless FAKE_PIP_FAIL is set; smtp-help says it started and reads its input like the console.
FAKE_VENV_PYTHON = """#!/bin/sh
echo "WARNING: Location 'file:///opt/pypi/simple/slack-bolt/' is ignored: it is neither a file nor a directory." >&2
echo "Collecting slack-bolt>=1.30"
echo "[notice] A new release of pip is available: 23.0.1 -> 25.3"
case "$*" in
  *"-e "*) if [ -n "${FAKE_PIP_FAIL:-}" ]; then
      echo "ERROR: Could not find a version that satisfies the requirement slack-bolt>=1.30" >&2; exit 1; fi;;
esac
exit 0
"""
FAKE_SMTP_HELP = """#!/bin/sh
echo "console: $*"
cat >/dev/null
"""


def _fake_python(bin_dir: Path, *, ensurepip: bool, venv_works: bool) -> None:
    """python3 and python3.X on PATH: the real interpreter for everything but ensurepip and `-m venv`."""
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "venv-python").write_text(FAKE_VENV_PYTHON)
    (bin_dir / "venv-smtp-help").write_text(FAKE_SMTP_HELP)
    (bin_dir / "venv-failure.txt").write_text(DEBIAN_VENV_FAILURE)
    (bin_dir / "no-ensurepip.txt").write_text(
        'Traceback (most recent call last):\n  File "<string>", line 1, in <module>\n'
        "ModuleNotFoundError: No module named 'ensurepip'\n")
    real = f'exec "{sys.executable}" "$@"'
    import_ensurepip = real if ensurepip else f'cat "{bin_dir}/no-ensurepip.txt" >&2; exit 1'
    make_venv = (f'cp "{bin_dir}/venv-python" "$3/bin/python"; cp "{bin_dir}/venv-smtp-help" "$3/bin/smtp-help"\n'
                 '    chmod +x "$3/bin/python" "$3/bin/smtp-help"; exit 0'
                 if venv_works else f'cat "{bin_dir}/venv-failure.txt"; exit 1')
    script = f"""#!/bin/sh
case "$*" in
  *"import ensurepip"*)
    {import_ensurepip};;
  "-m venv "*)
    mkdir -p "$3/bin"
    {make_venv};;
esac
{real}
"""
    for name in ("python3", f"python{VERSION}", "python3.11"):
        path = bin_dir / name
        path.write_text(script)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The files `make run` needs, copied: Makefile, pyproject.toml, the setup script."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "scripts/setup-venv.sh"):
        shutil.copy(ROOT / name, repo / name)
    return repo


def _env(bin_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES", "PYTHON", "VENV", "STAMP"}}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _run(cmd: list[str], repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          check=False)


@pytest.mark.parametrize("ensurepip", [False, True], ids=["no-ensurepip-module", "venv-fails-on-ensurepip"])
def test_no_python3_venv_gets_one_sentence(checkout: Path, tmp_path: Path, ensurepip: bool) -> None:
    bin_dir = tmp_path / "bin"
    _fake_python(bin_dir, ensurepip=ensurepip, venv_works=False)
    result = _run(["bash", "scripts/setup-venv.sh"], checkout, _env(bin_dir))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"sudo apt install python{VERSION}-venv" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert "Failing command" not in result.stdout + result.stderr
    assert not (checkout / ".venv").exists()  # no half-made venv left for the next run to trip on


def test_no_python3_venv_through_make_run(checkout: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    _fake_python(bin_dir, ensurepip=False, venv_works=False)
    result = _run(["make", "run"], checkout, _env(bin_dir))
    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("make")]
    assert len(ours) == 1, result.stderr
    assert "-venv" in ours[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_first_run_says_what_it_does_and_hides_pip_noise(checkout: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    _fake_python(bin_dir, ensurepip=True, venv_works=True)
    first = _run(["make", "run"], checkout, _env(bin_dir))
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("Setting up the Python environment in .venv (first run, about 90 s")
    assert ".venv-setup.log" in lines[0]
    assert lines[1] == "Installing smtp-help and its dependencies…"
    assert lines[2].startswith("Done in ")
    assert lines[3:] == ["console: run"]
    assert first.stderr == ""  # nothing that looks like an error
    log = (checkout / ".venv-setup.log").read_text()
    assert "WARNING: Location" in log
    assert "[notice]" in log
    assert (checkout / ".venv" / ".installed").exists()

    second = _run(["make", "run"], checkout, _env(bin_dir))
    assert second.returncode == 0
    assert second.stdout.splitlines() == ["console: run"]  # silent about setup: straight to the app
    assert second.stderr == ""


def test_a_failing_install_shows_pips_output_in_full(checkout: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    _fake_python(bin_dir, ensurepip=True, venv_works=True)
    result = _run(["make", "run"], checkout, _env(bin_dir, FAKE_PIP_FAIL="1"))
    assert result.returncode != 0
    assert "ERROR: Could not find a version that satisfies the requirement slack-bolt" in result.stderr
    assert "Installing smtp-help (pip install -e '.[dev]') failed (output above, also in .venv-setup.log)." \
        in result.stderr
    assert not (checkout / ".venv" / ".installed").exists()  # the next run tries again
    assert "console:" not in result.stdout


def test_interrupted_install_is_resumed_not_recreated(checkout: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    _fake_python(bin_dir, ensurepip=True, venv_works=True)
    assert _run(["make", "run"], checkout, _env(bin_dir, FAKE_PIP_FAIL="1")).returncode != 0
    again = _run(["make", "run"], checkout, _env(bin_dir))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0].startswith("Updating the Python environment in .venv")
    assert again.stdout.splitlines()[-1] == "console: run"


def test_readme_quick_start_is_the_two_make_targets() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    targets = (ROOT / "Makefile").read_text()
    assert "\nrun: $(STAMP)\n" in targets
    assert "\ntest: system $(STAMP)\n" in targets
