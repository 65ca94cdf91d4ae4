"""Frozen dataclasses ⇄ JSON-ready values, driven by the type annotations: one codec instead of mirror methods.

    doc = to_json(report)                     # dicts, lists, str, int, float, bool, None
    again = from_json(ProbeReport, doc)       # == report; a doc of the wrong shape raises CodecError

Decoding follows each field's annotation (nested dataclasses, `X | None`, `tuple[X, ...]`, fixed tuples,
`Mapping[str, X]`, str/int/float/bool); a field missing from the document takes its default. A field whose
value is a tuple of fixed rows may name the rows' keys in its metadata (`field(metadata={"row_keys": ("preference",
"host")})`) so the JSON reads `[{"preference": 10, "host": "mx.example.com"}]` instead of `[[10, "mx…"]]`.
Pure; no I/O.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

from bot.errors import CodecError

__all__ = ["from_json", "to_json"]

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """A JSON-ready copy of `value`: dataclasses become dicts, tuples lists, mappings dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            keys = f.metadata.get("row_keys")
            out[f.name] = [dict(zip(keys, map(to_json, row), strict=True)) for row in item] if keys else to_json(item)
        return out
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value


def from_json(cls: type[T], data: Any) -> T:
    """Read `data` (as written by to_json) back as a `cls`; CodecError when its shape does not fit."""
    result: T = _decode(cls, data, "$")
    return result


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if data is None and type(None) in options:
            return None
        inner = [o for o in options if o is not type(None)]
        if len(inner) != 1:
            raise CodecError(f"{where}: cannot decide between {tp}")
        return _decode(inner[0], data, where)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp, data, where)
    if origin is tuple:
        return _tuple(tp, data, where)
    if origin in (Mapping, dict):
        if not isinstance(data, Mapping):
            raise CodecError(f"{where}: expected an object, got {type(data).__name__}")
        key_type, value_type = typing.get_args(tp)
        return {_decode(key_type, k, where): _decode(value_type, v, f"{where}.{k}") for k, v in data.items()}
    return _scalar(tp, data, where)


def _dataclass(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise CodecError(f"{where}: expected an object for {cls.__name__}, got {type(data).__name__}")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        keys = f.metadata.get("row_keys")
        if keys and isinstance(value, list):
            value = [[row[k] for k in keys] if isinstance(row, Mapping) else row for row in value]
        kwargs[f.name] = _decode(hints[f.name], value, f"{where}.{f.name}")
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise CodecError(f"{where}: {exc}") from exc


def _tuple(tp: Any, data: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(data, list | tuple):
        raise CodecError(f"{where}: expected a list, got {type(data).__name__}")
    args = typing.get_args(tp)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
    if len(args) != len(data):
        raise CodecError(f"{where}: expected {len(args)} items, got {len(data)}")
    return tuple(_decode(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, data, strict=True)))


def _scalar(tp: Any, data: Any, where: str) -> Any:
    if tp is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if tp is int and isinstance(data, int) and not isinstance(data, bool):
        return data
    if tp in (str, bool) and isinstance(data, tp):
        return data
    if typing.get_origin(tp) is typing.Literal and data in typing.get_args(tp):
        return data
    raise CodecError(f"{where}: expected {getattr(tp, '__name__', tp)}, got {type(data).__name__}")
