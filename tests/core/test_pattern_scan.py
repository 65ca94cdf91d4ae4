"""The knowledge base's one-pass scan answers exactly as each pattern run on its own would.

The scan runs in Hyperscan where it is installed and in an RE2 set otherwise (bot/kb/patterns.py); either way
the set of patterns that match must be the set RE2 finds pattern by pattern. Checked on every example text the
knowledge base and the test data hold (ASCII and not), and on crafted input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.kb import KnowledgeBase
from bot.kb.patterns import PatternBank, hyperscan

ROOT = Path(__file__).resolve().parents[2]


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) and 20 <= len(node) <= 4000 else []


def _corpus() -> list[bytes]:
    texts: list[str] = []
    for path in sorted((ROOT / "knowledge").rglob("*.yaml")) + sorted((ROOT / "tests" / "data").rglob("*.yaml")):
        texts += _strings(yaml.safe_load(path.read_text(encoding="utf-8")))
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "data").rglob("*.txt"))]
    return [t.encode("utf-8") for t in dict.fromkeys(texts)]


def _truth(bank: PatternBank, data: bytes) -> set[int]:
    return {i for i, regex in enumerate(bank.compiled) if regex.search(data)}


def test_the_scan_agrees_with_every_pattern_run_alone(kb: KnowledgeBase) -> None:
    corpus = _corpus()
    assert len(corpus) > 500
    assert any(not text.isascii() for text in corpus)
    # A quarter of the non-ASCII texts (where bytes and characters could part) and a sixteenth of the rest: running
    # ~2,500 patterns one by one over all of them would take minutes.
    sample = [text for i, text in enumerate(corpus) if i % (4 if not text.isascii() else 16) == 0]
    wrong = []
    for text in sample:
        truth, found = _truth(kb.bank, text), kb.bank.scan(text)
        if truth != found:
            wrong.append((text[:80], sorted(kb.bank.sources[i][:60] for i in truth ^ found)))
    assert wrong == []


@pytest.mark.parametrize("text", [
    b"535 5.7.8 Username and Password not accepted\n" * 800,
    "授权码 登录失败 535 Error: authentication failed ÊÚÈ¨Âë\n".encode() * 300,
    b"\x00\xff" * 1000 + b"SMTP connect() failed",
    b"",
])
def test_crafted_input(kb: KnowledgeBase, text: bytes) -> None:
    data = text.decode("utf-8", "replace").encode("utf-8")
    assert kb.bank.scan(data) == _truth(kb.bank, data)


@pytest.mark.skipif(hyperscan is None, reason="Hyperscan is not installed on this platform")
def test_hyperscan_and_the_re2_set_give_the_same_answer(kb: KnowledgeBase, tmp_path: Path) -> None:
    re2_only = PatternBank()
    for source in kb.bank.sources:
        folded = source.startswith("(?i)")
        re2_only.add(source[4:] if folded else source, ignore_case=folded)
    re2_only.freeze(use_hyperscan=False)
    assert kb.bank._hs is not None
    for text in _corpus()[::25]:
        assert re2_only.scan(text) == kb.bank.scan(text)


@pytest.mark.skipif(hyperscan is None, reason="Hyperscan is not installed on this platform")
def test_the_compiled_database_is_cached_and_reused(tmp_path: Path) -> None:
    def bank() -> PatternBank:
        b = PatternBank()
        for pattern in (r"Greeting never received", r"535[ -]5\.7\.8", r"(?m)^\s*a^b", "授权码", "[„”]x"):
            b.add(pattern, ignore_case=True)
        b.freeze(cache_dir=tmp_path)
        return b

    first = bank()
    assert len(list(tmp_path.glob("hs-*.db"))) == 1
    second = bank()
    data = "x 535-5.7.8 y\n授权码\n„x".encode()
    assert first.scan(data) == second.scan(data) == _truth(first, data)
