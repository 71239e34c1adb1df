"""Saving and loading models as JSON: a format version, the architecture, the weights.

JSON keeps saved models readable (open one and see every weight).  Writing goes to a
temporary file that is then renamed over the target, so a crash mid-write never leaves
half a model behind: the rename is atomic.
"""

from __future__ import annotations

import json
import os

from .files import write_atomically
from .module import MLP, Dropout, Layer, Module, Neuron
from .normalization import BatchNorm1d
from .recurrent import RNN, RNNCell, RNNModel

FORMAT = "stepgrad-model"
VERSION = 1
KINDS: dict[str, type[Module]] = {"MLP": MLP, "Layer": Layer, "Neuron": Neuron, "Dropout": Dropout,
                                 "RNNCell": RNNCell, "RNN": RNN, "RNNModel": RNNModel, "BatchNorm1d": BatchNorm1d}
MAX_SIZE = 1_000_000  # inputs or units per layer: a bigger file is hostile or corrupt, not a model
MAX_PARAMETERS = 10_000_000  # about 2 GB of Values: far past what a pure-Python engine trains


def save(model: Module, path: str | os.PathLike) -> None:
    """Write `model` to `path` atomically."""
    kind = type(model).__name__
    if KINDS.get(kind) is not type(model):
        raise TypeError(f"save: cannot save a {kind}; only {', '.join(KINDS)} are supported")
    document = {"format": FORMAT, "version": VERSION, "kind": kind, "config": model.config(), "state": model.state_dict()}
    text = json.dumps(document, indent=1)
    write_atomically(path, text)


def load(path: str | os.PathLike) -> Module:
    """Rebuild the model saved at `path`, in eval mode (ready to predict; `fit` switches to training).

    Raises ValueError naming the file if it is not a valid model.
    """
    with open(path, "rb") as file:
        raw = file.read()
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a stepgrad model: the JSON is truncated or corrupt ({error})") from None
    except RecursionError:
        raise ValueError(f"{path}: not a stepgrad model: the JSON is nested too deeply") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path}: not a stepgrad model (no \"format\": \"{FORMAT}\" field)")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
        raise ValueError(f"{path}: unsupported format version {document.get('version')!r} (this stepgrad reads version {VERSION})")
    kind, config, state = document.get("kind"), document.get("config"), document.get("state")
    if kind not in KINDS:
        raise ValueError(f"{path}: unknown model kind {kind!r}; expected one of {', '.join(KINDS)}")
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise ValueError(f"{path}: the \"config\" and \"state\" fields must be JSON objects")
    too_big = [n for n in _sizes(config) if n > MAX_SIZE]
    if too_big:
        raise ValueError(f"{path}: a layer size of {too_big[0]} is too large (at most {MAX_SIZE})")
    implied = _parameter_count(kind, config)
    if implied is not None and implied > MAX_PARAMETERS:  # refused before anything is built
        raise ValueError(f"{path}: the architecture has {implied:,} parameters, more than {MAX_PARAMETERS:,}")
    try:
        model = KINDS[kind](**config)
        model.load_state_dict(state)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: the architecture or weights are wrong: {error}") from None
    model.eval()
    return model


def _parameter_count(kind: str, config: dict) -> int | None:
    """How many parameters `config` describes (None where its sizes are not plain integers:
    building the model then reports what is wrong)."""
    if kind in ("RNNCell", "RNN", "RNNModel"):
        return _recurrent_count(config)
    sizes = [config.get("nin"), *(config.get("nouts") or [])] if kind == "MLP" else [config.get("nin"), config.get("nout", 1)]
    if kind == "Dropout":
        return 0
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes):
        return None
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))


def _recurrent_count(config: dict) -> int | None:
    """An RNN's (input + hidden + 1) * hidden, plus the read-out's (hidden + 1) * outputs."""
    sizes = [config.get("input_size"), config.get("hidden_size"), config.get("output_size", 0)]
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes):
        return None
    n_in, hidden, n_out = sizes
    return (n_in + hidden + 1) * hidden + (hidden + 1) * n_out


def _sizes(config: dict) -> list[int]:
    """The integer input and layer sizes in a config, to refuse absurd ones before allocating."""
    nouts = config.get("nouts")
    named = ("nin", "nout", "input_size", "hidden_size", "output_size", "num_features")
    sizes = [*(config.get(name) for name in named), *(nouts if isinstance(nouts, list) else [])]
    return [n for n in sizes if isinstance(n, int) and not isinstance(n, bool)]
