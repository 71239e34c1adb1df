"""stepgrad's network library, built only from autograd Values.

    >>> import nets
    >>> model = nets.MLP(2, [16, 16, 1], activation="relu", seed=0)
    >>> model.num_parameters()
    337

Names are imported on first use (PEP 562), so `import nets` is cheap: `stepgrad explain`
never loads NumPy or matplotlib, and a foreign `autograd` is reported before anything needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

from .engine import ShadowedEngineError, check_engine

# Each public name, and the module of nets that defines it: the package's one name table.
# Saving and loading find module kinds here, so a new kind is its file plus one line.
EXPORTS = {
    "Module": "module",
    "Neuron": "dense",
    "Layer": "dense",
    "Linear": "dense",
    "MLP": "dense",
    "Dropout": "layers",
    "BatchNorm1d": "normalization",
    "ReLU": "layers",
    "LeakyReLU": "layers",
    "Tanh": "layers",
    "Sigmoid": "layers",
    "Flatten": "layers",
    "Sequential": "sequential",
    "Conv2d": "conv",
    "MaxPool2d": "conv",
    "AvgPool2d": "conv",
    "RNNCell": "recurrent",
    "RNN": "recurrent",
    "RNNModel": "recurrent",
    "LSTMCell": "gated",
    "LSTM": "recurrent",
    "GRUCell": "gated",
    "GRU": "recurrent",
    "Steps": "outputs",
    "fit": "training",
    "evaluate": "training",
    "predict": "training",
    "History": "history",
    "DivergenceError": "training",
    "load": "serialize",
    "save": "serialize",
    "set_language": "language",
}
SUBMODULES = ("activations", "callbacks", "conv", "data", "datasets", "dense", "gated", "history", "init", "layers",
              "losses", "module", "normalization", "optim", "outputs", "plot", "recurrent", "sequential", "serialize",
              "training")

__all__ = [*EXPORTS, *SUBMODULES, "ShadowedEngineError"]


def __getattr__(name: str) -> Any:
    if name not in EXPORTS and name not in SUBMODULES:
        raise AttributeError(f"module 'nets' has no attribute {name!r}")
    check_engine()
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")  # which also sets it on this package
    value = getattr(importlib.import_module(f"{__name__}.{EXPORTS[name]}"), name)
    globals()[name] = value  # once: later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
