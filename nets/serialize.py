"""Saving and loading models as JSON: a format version, the architecture, the weights.

JSON keeps saved models readable (open one and see every weight).  Writing goes to a
temporary file that is then renamed over the target, so a crash mid-write never leaves
half a model behind: the rename is atomic.

A saved `kind` is the name of a module class in the package's name table (`nets.EXPORTS`);
loading finds the class there and asks it how many parameters the saved config gives
(`parameter_count`) before building anything.  This file knows no kind by name but
Sequential, whose config nests the others.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import stat
from typing import Any, Protocol

from autograd.files import write_atomically
from autograd.value import shown

from . import EXPORTS

FORMAT = "stepgrad-model"
# 2 added Sequential and the convolutional modules (config nests modules); 3 names parameters
# by position ("w1" is the first weight), where 1 and 2 named a neuron's weights by their label
VERSION = 3
READABLE = (1, 2, 3)
MAX_SIZE = 1_000_000  # inputs or units per layer: a bigger file is hostile or corrupt, not a model
MAX_PARAMETERS = 10_000_000  # about 2 GB of Values: far past what a pure-Python engine trains
MAX_BYTES = 40 * MAX_PARAMETERS  # a saved weight takes about 25 bytes


class Saveable(Protocol):
    """What saving reads of a model (an `nets.Module`): its architecture and its weights."""

    def config(self) -> dict[str, Any]: ...

    def state_dict(self) -> dict[str, float]: ...

    def load_state_dict(self, state: dict[str, float]) -> None: ...

    def eval(self) -> Any: ...


def save(model: Saveable, path: str | os.PathLike) -> None:
    """Write `model` to `path` atomically."""
    kind = type(model).__name__
    if _kind_or_none(kind) is not type(model):
        raise TypeError(f"save: cannot save a {kind}; only the module kinds of nets.EXPORTS are supported "
                        f"({', '.join(kinds())})")
    config = model.config()
    try:
        _parts(kind, config)  # every module inside is a kind that loading will find
    except ValueError as error:
        raise TypeError(f"save: cannot save a {kind}: {error}") from None
    state = model.state_dict()
    bad = next((name for name, value in state.items() if not math.isfinite(value)), None)
    if bad is not None:  # JSON has no inf or NaN, and load would refuse the file
        raise ValueError(f"save: cannot save {str(path)!r}: the weight {bad!r} is {state[bad]!r}, not a finite number")
    document = {"format": FORMAT, "version": VERSION, "kind": kind, "config": config, "state": state}
    text = json.dumps(document, indent=1)
    write_atomically(path, text)


def load(path: str | os.PathLike) -> Saveable:
    """Rebuild the model saved at `path`, in eval mode (ready to predict; `fit` switches to training).

    Raises ValueError naming the file if it is not a valid model: not a regular file, over
    MAX_BYTES, not JSON, or an architecture and weights that do not agree (checked before
    anything is built, so a tiny file cannot ask for a huge model).
    """
    raw = _read(path)
    try:
        document = json.loads(raw.decode("utf-8"), parse_int=_json_int, parse_float=_json_float,
                              parse_constant=_json_constant, object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError) as error:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"{path}: not a stepgrad model: the JSON is truncated or corrupt ({error})") from None
    except RecursionError:
        raise ValueError(f"{path}: not a stepgrad model: the JSON is nested too deeply") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path}: not a stepgrad model (no \"format\": \"{FORMAT}\" field)")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version not in READABLE:
        raise ValueError(f"{path}: unsupported format version {shown(version)} "
                         f"(this stepgrad reads versions {', '.join(map(str, READABLE))})")
    kind, config, state = document.get("kind"), document.get("config"), document.get("state")
    if not isinstance(state, dict):
        raise ValueError(f"{path}: the \"config\" and \"state\" fields must be JSON objects")
    try:
        parts = _parts(kind, config)
        numbers = [n for _, part in parts for n in _sizes(part)]
        too_big = [n for n in numbers if n > MAX_SIZE]
        if too_big:
            raise ValueError(f"a layer size of {too_big[0]} is too large (at most {MAX_SIZE})")
        if any(n < 0 for n in numbers):  # a negative size would cancel a sibling's count
            raise ValueError(f"a size of {min(numbers)} is negative")
        counts = [cls.parameter_count(part) for cls, part in parts]
        uncounted = next((f"{cls.__name__} {shown(part, 80)}" for (cls, part), n in zip(parts, counts) if n is None), None)
        if uncounted:  # every module is counted before any is built, a Sequential's siblings too
            raise ValueError(f"the config of {uncounted} does not give its sizes as integers, so its parameters "
                             "cannot be counted")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {_one_line(error)}") from None
    implied = sum(counts)
    if implied > MAX_PARAMETERS:  # refused before anything is built
        raise ValueError(f"{path}: the architecture has {implied:,} parameters, more than {MAX_PARAMETERS:,}")
    if len(state) < implied:  # (more is for load_state_dict: running statistics, say)
        raise ValueError(f"{path}: the architecture has {implied:,} parameters but the file holds only {len(state):,} weights")
    try:
        model = build(kind, config)
        model.load_state_dict(state if version == VERSION else named_by_position(state, model))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: the architecture or weights are wrong: {_one_line(error)}") from None
    model.eval()
    return model


def _one_line(error: Exception) -> str:
    """An error's message on one line: some of Python's own wrap (random.Random's for a bad seed),
    and a model file's error is one line."""
    return re.sub(r"\s*\n\s*", " ", str(error))


def _read(path: str | os.PathLike) -> bytes:
    """The bytes of the regular file at `path`, at most MAX_BYTES of them.  Opened without
    blocking, so a FIFO is refused rather than waited on; a device (/dev/zero) is refused too."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path}: not a stepgrad model: not a regular file")
        raw = file.read(min(info.st_size, MAX_BYTES) + 1)  # read(MAX_BYTES) would allocate them all at once
    if len(raw) > MAX_BYTES:
        raise ValueError(f"{path}: not a stepgrad model: larger than {MAX_BYTES:,} bytes")
    return raw


def _json_int(text: str) -> int:
    if len(text) > 300:  # no float holds it, and Python refuses to parse over 4,300 digits
        raise ValueError(f"a number of {len(text):,} digits is too large")
    return int(text)


def _json_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {shown(text)} is too large for a float")
    return number


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused if a key appears twice (JSON keeps the last silently: which weight was meant?)."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"the key {shown(twice)} appears twice")
    return document


def _json_constant(text: str) -> float:
    raise ValueError(f"{text} is not a number JSON allows")


def kind_class(kind: object) -> type:
    """The module class saved as `kind`: a name of the package's name table (`nets.EXPORTS`)
    that is a module class, or a ValueError listing the kinds."""
    cls = _kind_or_none(kind)
    if cls is None:
        raise ValueError(f"unknown model kind {shown(kind)}; expected one of {', '.join(kinds())}")
    return cls


def kinds() -> list[str]:
    """Every kind a model file may name: the module classes of `nets.EXPORTS`."""
    return [name for name in EXPORTS if _kind_or_none(name) is not None]


def _kind_or_none(kind: object) -> type | None:
    where = EXPORTS.get(kind) if isinstance(kind, str) else None
    cls = getattr(importlib.import_module(f"{__package__}.{where}"), kind, None) if where else None
    needs = ("config", "state_dict", "load_state_dict", "eval", "parameter_count")
    return cls if isinstance(cls, type) and all(callable(getattr(cls, name, None)) for name in needs) else None


def build(kind: str, config: dict) -> Saveable:
    """The module `kind` built from its `config`; a Sequential's config lists its modules'."""
    if kind == "Sequential":
        return kind_class(kind)(*(build(part["kind"], part["config"]) for part in config["modules"]))
    return kind_class(kind)(**config)


def _parts(kind: object, config: object) -> list[tuple[type, dict]]:
    """Every (class, config) in the description, a Sequential's modules included, checked to be
    known kinds with JSON-object configs (so `build` cannot fail on the structure)."""
    parts, stack = [], [(kind, config)]
    while stack:
        kind, config = stack.pop()
        cls = kind_class(kind)
        if not isinstance(config, dict):
            raise ValueError("the \"config\" and \"state\" fields must be JSON objects")
        if kind == "Sequential":
            modules = config.get("modules")
            if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
                raise ValueError("a Sequential's config must list its modules as {\"kind\", \"config\"} objects")
            stack += [(m.get("kind"), m.get("config")) for m in modules]
        parts.append((cls, config))
    return parts


def named_by_position(state: dict, model: Saveable) -> dict:
    """A version-1 or -2 state with each parameter under its name today.

    Versions 1 and 2 named a neuron's weights by their display label, so a relabelled weight was
    saved under its label; the values were written in `state_dict()` order, so the n-th saved value
    is the n-th entry.  Keys are renamed only where the module path matches.
    """
    names = list(model.state_dict())
    pairs = list(zip(state, names))
    if len(state) != len(names) or any(old.rpartition(".")[0] != new.rpartition(".")[0] for old, new in pairs):
        return state  # not the same parameters: load_state_dict says what is missing
    return {new: state[old] for old, new in pairs}


def _sizes(config: dict) -> list[int]:
    """Every integer of a config (and of its lists: an MLP's `nouts`), to refuse absurd sizes
    before allocating anything."""
    values = [v for value in config.values() for v in (value if isinstance(value, list) else [value])]
    return [n for n in values if isinstance(n, int) and not isinstance(n, bool)]
