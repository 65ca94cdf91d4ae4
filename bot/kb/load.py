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
from bot.kb.model import Cause, Client, Conditions, FactReader, KnowledgeBase, LintRule, Provider, Signal
from bot.kb.patterns import PatternBank
from bot.settings import DEFAULT_KNOWLEDGE_DIR

__all__ = ["load_knowledge_base"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCHEMAS = ("cause", "provider", "client", "signals", "lint")


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
        if error.validator == "enum":
            message = f"{error.instance!r} is not allowed; use one of: {', '.join(map(str, error.validator_value))}"
        elif error.validator == "additionalProperties":
            message = message.replace("Additional properties are not allowed", "unknown field")
        raise KnowledgeBaseError(shown, _field(error.absolute_path) or "(top level)", message)


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

    def signals(self, raw: list[Mapping[str, Any]], shown: str, field: str) -> tuple[Signal, ...]:
        out = []
        for i, item in enumerate(raw):
            where = f"{field}[{i}]"
            code = item.get("enhanced_code")
            raw_patterns = item.get("pattern", [])
            if isinstance(raw_patterns, str):
                raw_patterns = [raw_patterns]
            out.append(Signal(
                weight=float(item["weight"]),
                patterns=tuple(self.pattern(p, ignore_case=True, shown=shown, field=f"{where}.pattern")
                               for p in raw_patterns),
                reply_code=item.get("reply_code"),
                enhanced_code=code[:-1] if code and code.endswith("*") else code,
                when=self.conditions(item.get("when"), shown, f"{where}.when"),
                why=item.get("why"),
                source=f"{shown}#{where}",
            ))
        return tuple(out)


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.is_file()) if directory.is_dir() else []


def _examples(raw: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in (raw or {}).items()}


_KINDS = (("providers", "provider"), ("clients", "client"), ("causes", "cause"))
_SINGLES = (("smtp.yaml", "signals", True), ("lint.yaml", "lint", False))
CACHE_VERSION = "1"   # bump when what the cache holds changes shape
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
            signals=build.signals(detect["signals"], shown, "detect.signals"),
            confusable={c["cause"]: c["decide"] for c in detect.get("confusable_with", [])},
            fix=data["fix"], references=tuple(data.get("references", [])),
            examples=_examples(data["examples"]), path=shown)

    smtp = raw["signals"]
    smtp_signals = build.signals(smtp["signals"], f"{shown_dir}/smtp.yaml", "signals")
    lint = raw["lint"] or {"rules": []}
    lint_rules = [LintRule(id=r["id"], cause=r["cause"], weight=float(r["weight"]), when=r["when"],
                           message=r["message"], examples=_examples(r["examples"])) for r in lint["rules"]]

    _cross_check(causes, providers, clients, lint_rules, shown_dir)
    build.bank.freeze()
    return KnowledgeBase(causes=causes, providers=providers, clients=clients, lint_rules=tuple(lint_rules),
                         smtp_signals=smtp_signals, smtp_threshold=float(smtp["threshold"]),
                         smtp_examples=_examples(smtp["examples"]), bank=build.bank, directory=str(root))


def _word(name: str) -> str:
    """A provider name as a whole-word pattern: literal text, any run of spaces/hyphens between words."""
    return r"[\s-]+".join(re2.escape(part) for part in name.lower().split())


def _cross_check(causes: Mapping[str, Cause], providers: Mapping[str, Provider], clients: Mapping[str, Client],
                 lint_rules: list[LintRule], shown_dir: str) -> None:
    """Ids that one file names in another must exist: a typo in a condition would silently never fire."""
    for cause in causes.values():
        for signal in cause.signals:
            field = signal.source.split("#", 1)[1]
            for pid in signal.when.provider | signal.when.not_provider:
                if pid not in providers:
                    raise KnowledgeBaseError(cause.path, f"{field}.when.provider", f"unknown provider id {pid!r}")
            for cid in signal.when.client:
                if cid not in clients:
                    raise KnowledgeBaseError(cause.path, f"{field}.when.client", f"unknown client id {cid!r}")
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
