"""Read knowledge/ from disk, validate it against its schemas, compile its patterns.

Every problem becomes one KnowledgeBaseError naming the file and the field, e.g.
`knowledge/causes/tls_mismatch.yaml: detect.signals[4].pattern: not a valid RE2 pattern (missing ))`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import re2
import yaml

from bot.errors import KnowledgeBaseError
from bot.kb.model import (
    GENERIC_FACTOR,
    KIND_WEIGHTS,
    Cause,
    Client,
    Conditions,
    FactReader,
    KnowledgeBase,
    LintRule,
    MessageFile,
    Provider,
    Signal,
)
from bot.kb.patterns import PatternBank
from bot.settings import DEFAULT_KNOWLEDGE_DIR
from bot.text import strip_controls

__all__ = ["load_knowledge_base"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCHEMAS = ("messages", "cause", "provider", "client", "signals", "lint")


def _field(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _read_yaml(path: Path, shown: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise KnowledgeBaseError(shown, "", "is not UTF-8 text") from None
    except OSError as exc:
        raise KnowledgeBaseError(shown, "", f"cannot be read ({exc.strerror})") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader/SafeLoader only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise KnowledgeBaseError(shown, "", f"YAML error{where}: {problem}") from None


class _Validators:
    """One jsonschema validator per schema file, sharing a registry so schemas can $ref each other."""

    def __init__(self, schema_dir: Path, shown_dir: str) -> None:
        # Imported here: jsonschema costs ~60 ms of start-up, and a cached, unchanged knowledge base skips it.
        import jsonschema
        from referencing import Registry, Resource

        self._jsonschema = jsonschema
        resources = []
        self.schemas: dict[str, Any] = {}
        for name in _SCHEMAS:
            path = schema_dir / f"{name}.schema.yaml"
            if not path.exists():
                continue
            schema = _read_yaml(path, f"{shown_dir}/schema/{path.name}")
            self.schemas[name] = schema
            resources.append((schema.get("$id", path.name), Resource.from_contents(schema)))
        registry: Any = Registry().with_resources(resources)
        self.validators = {name: jsonschema.Draft202012Validator(schema, registry=registry)
                           for name, schema in self.schemas.items()}

    def check(self, kind: str, data: Any, shown: str) -> None:
        validator = self.validators.get(kind)
        if validator is None:
            raise KnowledgeBaseError(shown, "", f"schema/{kind}.schema.yaml is missing")
        exceptions = self._jsonschema.exceptions
        error = exceptions.best_match(validator.iter_errors(data))
        if error is None:
            return
        # oneOf failures explain themselves badly; the deepest context error is the useful one.
        while error.context:
            error = exceptions.best_match(error.context) or error.context[0]
            if not error.context:
                break
        message = error.message
        path = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.validator_value, list):
            missing = next((k for k in error.validator_value if isinstance(error.instance, dict) and k not in
                            error.instance), None)
            if missing:
                path.append(missing)
                message = "is missing" + _REQUIRED_WHY.get(missing, "")
        if error.validator == "enum":
            message = f"{error.instance!r} is not allowed; use one of: {', '.join(map(str, error.validator_value))}"
        elif error.validator == "additionalProperties":
            message = message.replace("Additional properties are not allowed", "unknown field")
        raise KnowledgeBaseError(shown, _signal_field(data, path) or "(top level)", message)


_REQUIRED_WHY = {
    "source": " (every signal names where its text was read: library file and function, provider page, or RFC)",
    "examples": " (every signal needs at least one realistic example that fires it)",
    "kind": " (message, code, condition, hint or against)",
}


def _signal_field(data: Any, path: list[Any]) -> str:
    """A field path, with the signal's id after its index when the path is inside a signal:
    `signals[3](greeting_never_received).source`."""
    out = _field(path)
    for depth in (1, 2):   # signals[i] in a messages file, detect.signals[i] in a cause file
        if len(path) > depth and path[depth - 1] == "signals" and isinstance(path[depth], int):
            node = data
            try:
                for part in path[:depth + 1]:
                    node = node[part]
            except (KeyError, IndexError, TypeError):
                return out
            sid = node.get("id") if isinstance(node, dict) else None
            if sid:
                head = _field(path[:depth + 1])
                return f"{head}({sid})" + out[len(head):]
    return out


class _Builder:
    def __init__(self) -> None:
        self.bank = PatternBank()

    def pattern(self, source: str, *, ignore_case: bool, shown: str, field: str) -> int:
        try:
            return self.bank.add(source, ignore_case=ignore_case)
        except ValueError as exc:
            raise KnowledgeBaseError(shown, field, str(exc)) from None

    def conditions(self, raw: Mapping[str, Any] | None, shown: str, field: str) -> Conditions:
        if not raw:
            return Conditions()
        sets = {k: frozenset(v) for k, v in raw.items() if isinstance(v, list)}
        return Conditions(
            **sets,
            has_pattern=(self.pattern(raw["has_pattern"], ignore_case=True, shown=shown, field=f"{field}.has_pattern")
                         if "has_pattern" in raw else None),
            lacks_pattern=(self.pattern(raw["lacks_pattern"], ignore_case=True, shown=shown,
                                        field=f"{field}.lacks_pattern") if "lacks_pattern" in raw else None),
        )

    def signals(self, raw: list[Mapping[str, Any]], shown: str, field: str, *, owner: str,
                cause: str | None = None) -> tuple[Signal, ...]:
        """Signals of one file. `owner` prefixes their ids; `cause` is the cause file's own id (None: messages)."""
        out = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            where = f"{field}[{i}]"
            if "kind" in item:
                signal = self.kinded(item, shown, where, owner=owner, cause=cause)
                if signal.id in seen:
                    raise KnowledgeBaseError(shown, f"{where}({item['id']}).id", "is used twice in this file")
                seen.add(signal.id)
                out.append(signal)
                continue
            code = item.get("enhanced_code")
            raw_patterns = item.get("pattern", [])
            if isinstance(raw_patterns, str):
                raw_patterns = [raw_patterns]
            out.append(Signal(
                weight=float(item["weight"]),
                cause=cause,
                patterns=tuple(self.pattern(p, ignore_case=True, shown=shown, field=f"{where}.pattern")
                               for p in raw_patterns),
                reply_code=item.get("reply_code"),
                enhanced_code=code[:-1] if code and code.endswith("*") else code,
                when=self.conditions(item.get("when"), shown, f"{where}.when"),
                why=item.get("why"),
                location=f"{shown}#{where}",
                pattern_texts=tuple(raw_patterns),
            ))
        return tuple(out)

    def kinded(self, item: Mapping[str, Any], shown: str, where: str, *, owner: str,
               cause: str | None) -> Signal:
        """A signal in the messages format: its weight comes from its kind."""
        sid, kind = item["id"], item["kind"]
        at = f"{where}({sid})"
        own_cause = item.get("cause", cause)
        if cause is not None and own_cause != cause:
            raise KnowledgeBaseError(shown, f"{at}.cause", f"is {own_cause!r} in the file of cause {cause!r}; "
                                     "a signal for another cause belongs in that cause's file or in messages/")
        phrases, patterns = item.get("phrases", []), item.get("patterns", [])
        problem = None
        if kind == "message" and not (phrases or patterns):
            problem = ("phrases", "kind message is wording: it needs phrases or patterns")
        elif kind == "hint" and not (phrases or patterns or "has_pattern" in (item.get("when") or {})):
            problem = ("phrases", "kind hint is a user's words: it needs phrases, patterns or when.has_pattern")
        elif kind == "against" and own_cause == "not_smtp":
            problem = ("kind", "a not_smtp signal already counts against is_smtp; use kind message")
        if problem:
            raise KnowledgeBaseError(shown, f"{at}.{problem[0]}", problem[1])
        weight = KIND_WEIGHTS[kind] * (GENERIC_FACTOR if item.get("generic") else 1.0)
        code = item.get("enhanced_code")
        return Signal(
            weight=weight, kind=kind, id=f"{owner}.{sid}", cause=own_cause, generic=bool(item.get("generic")),
            # A phrase is cleaned as a paste is (zero-width and bidi characters dropped), or it could never match.
            phrases=tuple(self.pattern(_phrase_pattern(p), ignore_case=True, shown=shown, field=f"{at}.phrases[{j}]")
                          for j, p in enumerate(phrases)),
            patterns=tuple(self.pattern(p, ignore_case=True, shown=shown, field=f"{at}.patterns[{j}]")
                           for j, p in enumerate(patterns)),
            reply_code=item.get("reply_code"),
            enhanced_code=code[:-1] if code and code.endswith("*") else code,
            when=self.conditions(item.get("when"), shown, f"{at}.when"),
            why=item.get("why"), location=f"{shown}#{where}", cite=item.get("source"),
            phrase_texts=tuple(phrases), pattern_texts=tuple(patterns), examples=tuple(item.get("examples", ())),
            not_examples=tuple(item.get("not_examples", ())),
        )


_REGEX_SPECIAL = frozenset("\\.^$|?*+()[]{}")   # escaped in a phrase; anything else (non-ASCII too) stays as written


def _phrase_pattern(phrase: str) -> str:
    """A literal phrase as RE2: cleaned as a paste is (zero-width and bidi characters dropped, or it could never
    match), escaped, and not matched inside a longer number ("5.2.2" is not in "5.2.252")."""
    text = strip_controls(phrase)
    pattern = "".join("\\" + ch if ch in _REGEX_SPECIAL else ch for ch in text)
    if text[:1].isdigit():
        pattern = r"\b" + pattern
    if text[-1:].isdigit():
        pattern += r"\b"
    return pattern


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file()) if directory.is_dir() else []


def _examples(raw: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in (raw or {}).items()}


_KINDS = (("providers", "provider"), ("clients", "client"), ("causes", "cause"), ("messages", "messages"))
_SINGLES = (("smtp.yaml", "signals", True), ("lint.yaml", "lint", False))
CACHE_VERSION = "2"   # bump when what the cache holds changes shape
DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "smtp-help-kb-cache"


def _source_files(root: Path) -> list[Path]:
    files = _files(root / "schema")
    for kind_dir, _schema in _KINDS:
        files += _files(root / kind_dir)
    return files + [root / name for name, _schema, _required in _SINGLES if (root / name).exists()]


def _digest(root: Path, files: list[Path]) -> str:
    digest = hashlib.sha256(CACHE_VERSION.encode())
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _read_validated(root: Path, shown_dir: str) -> dict[str, Any]:
    """Every knowledge file parsed and checked against its schema: {kind: [(shown path, data)], smtp, lint}."""
    validators = _Validators(root / "schema", shown_dir)
    out: dict[str, Any] = {}
    for kind_dir, schema in _KINDS:
        items = []
        for path in _files(root / kind_dir):
            shown = f"{shown_dir}/{kind_dir}/{path.name}"
            data = _read_yaml(path, shown)
            validators.check(schema, data, shown)
            if data["id"] != path.stem:
                raise KnowledgeBaseError(shown, "id", f"is {data['id']!r} but the file is named {path.stem!r}")
            items.append((shown, data))
        out[kind_dir] = items
    for name, schema, required in _SINGLES:
        shown = f"{shown_dir}/{name}"
        if not (root / name).exists():
            if required:
                raise KnowledgeBaseError(shown, "", "is missing: it holds the signals that decide is_smtp")
            out[schema] = None
            continue
        data = _read_yaml(root / name, shown)
        validators.check(schema, data, shown)
        out[schema] = data
    return out


def _cached_read(root: Path, shown_dir: str, cache_dir: Path | None) -> dict[str, Any]:
    """_read_validated, remembered under a hash of every file's bytes: unchanged files are not parsed again."""
    if cache_dir is None:
        return _read_validated(root, shown_dir)
    files = _source_files(root)
    try:
        cache_file = cache_dir / f"{_digest(root, files)}.json"
        cached = json.loads(cache_file.read_text(encoding="utf-8"))
        if isinstance(cached, dict) and cached.get("shown_dir") == shown_dir:
            return cached["data"]  # type: ignore[no-any-return]
    except (OSError, ValueError, KeyError):
        pass
    data = _read_validated(root, shown_dir)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"shown_dir": shown_dir, "data": data}, default=str), encoding="utf-8")
        tmp.replace(cache_file)
    except OSError:
        pass  # a read-only file system only costs the next start-up a re-parse
    return data


def load_knowledge_base(directory: Path | str | None = None, *,
                        cache_dir: Path | None = DEFAULT_CACHE_DIR) -> KnowledgeBase:
    """Load, validate and compile knowledge/ (default: the repository's). Raises KnowledgeBaseError.

    Validated file contents are cached by a hash of every file's bytes (cache_dir=None: always re-read).
    """
    root = Path(directory) if directory else DEFAULT_KNOWLEDGE_DIR
    shown_dir = root.name or str(root)
    if not root.is_dir():
        raise KnowledgeBaseError(str(root), "", "knowledge directory not found")
    raw = _cached_read(root, shown_dir, cache_dir)
    build = _Builder()

    providers: dict[str, Provider] = {}
    for shown, data in raw["providers"]:
        rec = data["recognise"]
        hosts = [h.lower() for h in rec.get("hosts", [])]
        providers[data["id"]] = Provider(
            id=data["id"], name=data["name"],
            hosts=frozenset(h for h in hosts if not h.startswith(".")),
            host_suffixes=tuple(h for h in hosts if h.startswith(".")),
            domains=frozenset(d.lower() for d in rec.get("domains", [])),
            patterns=tuple(build.pattern(p, ignore_case=True, shown=shown, field=f"recognise.patterns[{i}]")
                           for i, p in enumerate(rec.get("patterns", []))),
            names=tuple(build.pattern(rf"\b{_word(n)}\b", ignore_case=True, shown=shown, field=f"recognise.names[{i}]")
                        for i, n in enumerate(rec.get("names", []))),
            data=data, path=shown)

    clients: dict[str, Client] = {}
    for shown, data in raw["clients"]:
        readers = []
        for i, item in enumerate(data.get("facts", [])):
            index = build.pattern(item["pattern"], ignore_case=False, shown=shown, field=f"facts[{i}].pattern")
            if "v" not in build.bank.compiled[index].groupindex:
                raise KnowledgeBaseError(shown, f"facts[{i}].pattern", "needs a named group (?P<v>...)")
            readers.append(FactReader(fact=item["fact"], pattern=index,
                                      values={str(k).lower(): str(v) for k, v in (item.get("values") or {}).items()}))
        clients[data["id"]] = Client(
            id=data["id"], name=data["name"], language=data["language"],
            patterns=tuple(build.pattern(p, ignore_case=False, shown=shown, field=f"recognise.patterns[{i}]")
                           for i, p in enumerate(data["recognise"]["patterns"])),
            weight=float(data["recognise"].get("weight", 1.0)),
            facts=tuple(readers), data=data, path=shown)

    causes: dict[str, Cause] = {}
    for shown, data in raw["causes"]:
        if data["status"] == "retired":
            continue
        detect = data["detect"]
        causes[data["id"]] = Cause(
            id=data["id"], title=data["title"], summary=data["summary"], status=data["status"],
            signals=build.signals(detect["signals"], shown, "detect.signals", owner=data["id"], cause=data["id"]),
            confusable={c["cause"]: c["decide"] for c in detect.get("confusable_with", [])},
            fix=data["fix"], references=tuple(data.get("references", [])),
            examples=_examples(data["examples"]), path=shown)

    messages: dict[str, MessageFile] = {}
    for shown, data in raw.get("messages", []):
        messages[data["id"]] = MessageFile(
            id=data["id"], title=data["title"], client=data.get("client"), provider=data.get("provider"),
            repository=data.get("repository"), path=shown,
            signals=build.signals(data["signals"], shown, "signals", owner=data["id"]))

    smtp = raw["signals"]
    smtp_signals = build.signals(smtp["signals"], f"{shown_dir}/smtp.yaml", "signals", owner="smtp")
    lint = raw["lint"] or {"rules": []}
    lint_rules = [LintRule(id=r["id"], cause=r["cause"], weight=float(r["weight"]), when=r["when"],
                           message=r["message"], examples=_examples(r["examples"])) for r in lint["rules"]]

    _cross_check(causes, providers, clients, lint_rules, shown_dir)
    _cross_check_messages(messages, providers, clients)
    build.bank.freeze()
    return KnowledgeBase(causes=causes, providers=providers, clients=clients, lint_rules=tuple(lint_rules),
                         smtp_signals=smtp_signals, smtp_threshold=float(smtp["threshold"]),
                         messages=messages,
                         smtp_examples=_examples(smtp["examples"]), bank=build.bank, directory=str(root))


def _word(name: str) -> str:
    """A provider name as a whole-word pattern: literal text, any run of spaces/hyphens between words."""
    return r"[\s-]+".join(re2.escape(part) for part in name.lower().split())


def _cross_check(causes: Mapping[str, Cause], providers: Mapping[str, Provider], clients: Mapping[str, Client],
                 lint_rules: list[LintRule], shown_dir: str) -> None:
    """Ids that one file names in another must exist: a typo in a condition would silently never fire."""
    for cause in causes.values():
        _check_ids(cause.signals, cause.path, providers, clients)
        for other in cause.confusable:
            if other not in causes:
                raise KnowledgeBaseError(cause.path, "detect.confusable_with", f"unknown cause id {other!r}")
        for key in ("providers", "clients"):
            known = providers if key == "providers" else clients
            for variant in cause.fix.get(key, {}) or {}:
                if variant not in known:
                    raise KnowledgeBaseError(cause.path, f"fix.{key}.{variant}", f"unknown {key[:-1]} id {variant!r}")
    for i, rule in enumerate(lint_rules):
        for pid in rule.when.get("provider", []):
            if pid not in providers:
                raise KnowledgeBaseError(f"{shown_dir}/lint.yaml", f"rules[{i}].when.provider",
                                         f"unknown provider id {pid!r}")
        for cid in rule.when.get("client", []):
            if cid not in clients:
                raise KnowledgeBaseError(f"{shown_dir}/lint.yaml", f"rules[{i}].when.client",
                                         f"unknown client id {cid!r}")


def _check_ids(signals: Iterable[Signal], path: str, providers: Mapping[str, Provider],
               clients: Mapping[str, Client]) -> None:
    for signal in signals:
        field = signal.location.split("#", 1)[1] + (f"({signal.id.split('.', 1)[1]})" if signal.kind else "")
        for key, ids, known in (("provider", signal.when.provider | signal.when.not_provider, providers),
                                ("client", signal.when.client | signal.when.not_client, clients)):
            for unknown in sorted(i for i in ids if i not in known):
                raise KnowledgeBaseError(path, f"{field}.when.{key}", f"unknown {key} id {unknown!r}")


def _cross_check_messages(messages: Mapping[str, MessageFile], providers: Mapping[str, Provider],
                          clients: Mapping[str, Client]) -> None:
    for message_file in messages.values():
        if message_file.client and message_file.client not in clients:
            raise KnowledgeBaseError(message_file.path, "client", f"unknown client id {message_file.client!r}")
        if message_file.provider and message_file.provider not in providers:
            raise KnowledgeBaseError(message_file.path, "provider",
                                     f"unknown provider id {message_file.provider!r}")
        _check_ids(message_file.signals, message_file.path, providers, clients)
