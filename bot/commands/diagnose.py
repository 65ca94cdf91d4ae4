"""`smtp-help diagnose [TEXT] [--json | --jsonl]`: the diagnosis engine from the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.commands.tty import styled
from bot.diagnose import channel_reply, diagnose
from bot.errors import InputError, ProbeError
from bot.kb import load_knowledge_base
from bot.model import Diagnosis
from bot.probe.choose import probe_target
from bot.render.fix import fix_text
from bot.render.headline import headline
from bot.render.names import cause_title
from bot.render.text import render_text
from bot.settings import Settings

__all__ = ["SCHEMA", "add_arguments", "answer_object", "run"]

# The version of the --json / --jsonl answer object (README, "--json"). Raise it when a key changes meaning or goes
# away; new keys do not need a new version. 1 was the shape before it carried `schema` (issue 12).
SCHEMA = 2

MAX_STDIN = 1 << 20   # read at most 1 MiB; normalise keeps the head and the tail of anything longer than Slack's limit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `smtp-help diagnose`."""
    parser.add_argument("text", nargs="*", help="the paste; read from standard input when omitted")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--jsonl", action="store_true",
                     help='read lines of {"id": ..., "text": ...} and write one answer object per line')
    parser.add_argument("--probe", action="store_true",
                        help="also probe the SMTP server the paste names (DNS, connect, TLS, AUTH offered; "
                             "never sends mail) and merge what it sees into the diagnosis")


def _read_stdin() -> str:
    data = sys.stdin.buffer.read(MAX_STDIN)
    return data.decode("utf-8", errors="replace")


MAX_JSONL_LINE = 1 << 20  # one case per line; a longer line is skipped (and reported), not read into memory


def _lines(stream: Any) -> Any:
    """(number, line bytes or None when the line was over MAX_JSONL_LINE) for each line of `stream`."""
    number = 0
    while True:
        line = stream.readline(MAX_JSONL_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_JSONL_LINE and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_JSONL_LINE)) and not rest.endswith(b"\n"):
                pass  # skip the rest of the over-long line in bounded chunks
            yield number, None
            continue
        yield number, line


def _case(line: bytes, number: int) -> tuple[Any, str]:
    """(id, text) of one line, or ValueError saying why not (never quoting the line: it may hold secrets)."""
    try:
        item = json.loads(line)
    except RecursionError:  # [[[[… nested past the interpreter's limit
        raise ValueError("nested too deeply") from None
    if not isinstance(item, dict) or "text" not in item:
        raise ValueError("needs a JSON object with a text field")
    case_id, text = item.get("id", number), item["text"]
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if not (case_id is None or (isinstance(case_id, (str, int, float)) and not isinstance(case_id, bool))):
        raise ValueError("id must be a string or a number")
    return case_id, text


def _jsonl(kb: Any) -> int:
    """One answer per line; a line that cannot be read costs that line only (one message on stderr)."""
    bad = 0
    for number, line in _lines(sys.stdin.buffer):
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise ValueError(f"longer than {MAX_JSONL_LINE} bytes")
            case_id, text = _case(line, number)
        except ValueError as exc:
            bad += 1
            print(f"smtp-help: line {number}: not a {{\"id\", \"text\"}} JSON object ({exc})", file=sys.stderr)
            continue
        d = diagnose(text, kb=kb)
        answer = {"id": case_id, **answer_object(d, kb)}
        sys.stdout.write(json.dumps(answer, ensure_ascii=False) + "\n")
    return 1 if bad else 0


def answer_object(d: Diagnosis, kb: Any) -> dict[str, Any]:
    """The --json / --jsonl answer: the diagnosis (bot.model.Diagnosis.to_dict), each cause with its title and its
    fix as the terminal (`plain`) and Slack (`mrkdwn`) show it for this paste's provider and library, the answer's
    wording level and headline (bot.render.headline), `channel_reply`, and the schema version."""
    head = headline(d, kb)
    out: dict[str, Any] = {"schema": SCHEMA, **d.to_dict()}
    if not d.is_smtp:
        out["causes"] = []
    else:
        out["causes"] = [{**c, "title": cause_title(kb, c["id"]),
                          "fix": {"plain": fix_text(d, kb, c["id"], mrkdwn=False),
                                  "mrkdwn": fix_text(d, kb, c["id"], mrkdwn=True)}}
                         for c in out["causes"]]
    out["wording"] = head.level
    out["headline"] = head.text
    out["channel_reply"] = channel_reply(d)
    return out


def _with_probe(text: str, diagnosis: Diagnosis, kb: Any, settings: Settings) -> Diagnosis:
    """Diagnose again with a live probe of the host the paste names; on a refused target say why and go on."""
    from bot.probe import run_probe  # the probe's network stack is imported only when asked for
    from bot.probe.dns import configured_nameservers

    target = probe_target(diagnosis, kb)
    if target is None:
        print("smtp-help: --probe: the paste names no SMTP host or known provider to probe", file=sys.stderr)
        return diagnosis
    try:
        report = asyncio.run(run_probe(target, allow_networks=settings.probe_allow_networks,
                                       timeout_s=settings.probe_timeout_s, providers=kb,
                                       sender_domain=diagnosis.facts.sender_domain,
                                       nameservers=configured_nameservers(settings)))
    except (InputError, ProbeError) as exc:
        print(f"smtp-help: probe of {target}: {exc}", file=sys.stderr)
        return diagnosis
    return diagnose(text, kb=kb, probe=report)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Diagnose and print; exit 0 (1 when some --jsonl lines could not be read)."""
    kb = load_knowledge_base(settings.knowledge_dir)
    if args.jsonl:
        return _jsonl(kb)
    text = " ".join(args.text) if args.text else _read_stdin()
    if not text.strip():
        print("smtp-help: nothing to diagnose: give the error text as an argument or on standard input",
              file=sys.stderr)
        return 2
    diagnosis = diagnose(text, kb=kb)
    if args.probe:
        diagnosis = _with_probe(text, diagnosis, kb, settings)
    if args.json:
        answer = answer_object(diagnosis, kb)
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(styled(render_text(diagnosis, kb), sys.stdout, settings))
    return 0
