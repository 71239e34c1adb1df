"""Networks as Modules: a Neuron, a Layer of neurons, an MLP of layers, and Dropout.

Every parameter is a leaf `Value`, so `loss.backward()` fills in `p.grad` for each one and
an optimiser can nudge `p.data` downhill.  The interface follows PyTorch's names.
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Any, Iterator, Sequence, Union

import autograd
from autograd import Value

from . import activations
from . import init as initialisers

Input = Union[Value, float, int]
Seed = Union[int, random.Random, None]


class Module:
    """Something with parameters: each subclass lists its own and its child modules."""

    training: bool = True

    def own_parameters(self) -> list[tuple[str, Value]]:
        """The parameters that belong to this module itself, by name."""
        return []

    def children(self) -> list[tuple[str, Module]]:
        """The modules directly inside this one, by name."""
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter, named by its path ("layers.0.neurons.3.w1"), in a fixed order."""
        named = list(self.own_parameters())
        for prefix, child in self.children():
            named += [(f"{prefix}.{name}", p) for name, p in child.named_parameters()]
        return named

    def parameters(self) -> list[Value]:
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return len(self.named_parameters())

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it."""
        yield self
        for _, child in self.children():
            yield from child.modules()

    def zero_grad(self) -> None:
        """Reset every gradient: `backward()` adds to grads, so do this before each step."""
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops); `eval()` switches it off."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def state_dict(self) -> dict[str, float]:
        """Every parameter's current value, by name: what `save` writes."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Set every parameter from `state`, which must name exactly this module's parameters."""
        named = dict(self.named_parameters())
        missing = [name for name in named if name not in state]
        unexpected = [name for name in state if name not in named]
        if missing or unexpected:
            raise ValueError(
                f"load_state_dict: parameters do not match {type(self).__name__} "
                f"({len(named)} expected): missing {_few(missing)}, unexpected {_few(unexpected)}"
            )
        for name, value in state.items():
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"load_state_dict: parameter {name!r} must be a finite number, got {value!r}")
        for name, p in named.items():
            p.data = float(state[name])

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module's architecture (for `save`)."""
        raise TypeError(f"{type(self).__name__} does not describe its architecture, so it cannot be saved")

    def save(self, path: str) -> None:
        """Write architecture and weights to a JSON file (see `nets.serialize`)."""
        from .serialize import save

        save(self, path)


class Neuron(Module):
    """activation(w . x + b): a weighted vote of the inputs, then a nonlinearity.

    `fused=True` computes w . x + b as one graph node (fast); `fused=False` builds every
    multiply and add, so a drawing of the graph shows each step of the chain rule.
    """

    def __init__(
        self,
        nin: int,
        activation: str | None = "tanh",
        init: str | None = None,
        *,
        fan_out: int = 1,
        fused: bool = True,
        seed: Seed = None,
    ) -> None:
        self.nin = _positive_int(nin, "Neuron", "nin")
        if not isinstance(fused, bool):
            raise TypeError(f"Neuron: fused must be True or False, got {fused!r}")
        self.activation = activation or "linear"
        self._act = activations.get(self.activation)
        self.fused = fused
        draw = initialisers.get(init, self.activation)
        rng = _rng(seed)
        self.w = [Value(draw(nin, fan_out, rng), label=f"w{i + 1}") for i in range(nin)]
        self.b = Value(0.0, label="b")

    def __call__(self, x: Sequence[Input]) -> Value:
        x = _as_list(x)
        if len(x) != self.nin:
            raise ValueError(f"Neuron: expected {self.nin} inputs, got {len(x)}")
        if self.fused:
            return self._act(autograd.weighted_sum(self.w, x, self.b))
        total = self.w[0] * x[0]  # w1*x1 + w2*x2 + ... + b, one node per operation
        for w, xi in zip(self.w[1:], x[1:]):
            total = total + w * xi
        return self._act(total + self.b)

    def own_parameters(self) -> list[tuple[str, Value]]:
        return [(w.label, w) for w in self.w] + [("b", self.b)]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation, "fused": self.fused}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons, each seeing every input: returns a list of `nout` Values."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "tanh",
        init: str | None = None,
        *,
        fused: bool = True,
        seed: Seed = None,
    ) -> None:
        self.nin = _positive_int(nin, "Layer", "nin")
        self.nout = _positive_int(nout, "Layer", "nout")
        rng = _rng(seed)
        self.neurons = [Neuron(nin, activation, init, fan_out=nout, fused=fused, seed=rng) for _ in range(nout)]

    def __call__(self, x: Sequence[Input]) -> list[Value]:
        x = _as_list(x)
        return [neuron(x) for neuron in self.neurons]

    @property
    def activation(self) -> str:
        return self.neurons[0].activation

    def children(self) -> list[tuple[str, Module]]:
        return [(f"neurons.{i}", n) for i, n in enumerate(self.neurons)]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation, "fused": self.neurons[0].fused}

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class Dropout(Module):
    """In training, zero each value with probability p and scale the rest by 1/(1-p).

    The scaling keeps each unit's expected value unchanged, so in eval mode Dropout is
    simply the identity.  Dropping random units stops neurons relying on each other.
    """

    def __init__(self, p: float = 0.5, *, seed: Seed = None) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be a probability in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = _rng(seed)

    def __call__(self, x: Sequence[Value]) -> list[Value]:
        if not self.training or self.p == 0:
            return list(x)
        keep = 1.0 / (1.0 - self.p)
        return [v * (0.0 if self.rng.random() < self.p else keep) for v in x]

    def config(self) -> dict[str, Any]:
        return {"p": self.p}

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes `nouts`, each feeding the next.

    Hidden layers use `activation`, the last layer `output_activation` (None: linear
    scores, for hinge, logits or regression).  A one-unit last layer returns a single
    Value, otherwise a list.  The same `seed` gives the same weights.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "tanh",
        output_activation: str | None = None,
        init: str | None = None,
        seed: int | None = None,
        *,
        dropout: float = 0.0,
        fused: bool = True,
    ) -> None:
        self.nin = _positive_int(nin, "MLP", "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        self.nouts = [_positive_int(n, "MLP", "each layer size") for n in nouts]
        self.activation = activation
        self.output_activation = output_activation or "linear"
        self.init = init
        self.seed = seed
        rng = random.Random(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else self.output_activation, init, fused=fused, seed=rng)
            for i in range(len(self.nouts))
        ]
        self.dropout = Dropout(dropout, seed=rng) if dropout else None

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        x = _as_list(x)
        *hidden, output = self.layers
        for layer in hidden:
            x = layer(x)
            if self.dropout is not None:
                x = self.dropout(x)
        out = output(x)
        return out[0] if len(out) == 1 else out

    def children(self) -> list[tuple[str, Module]]:
        named: list[tuple[str, Module]] = [(f"layers.{i}", layer) for i, layer in enumerate(self.layers)]
        return named + ([("dropout", self.dropout)] if self.dropout is not None else [])

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "nouts": self.nouts,
            "activation": self.activation,
            "output_activation": self.output_activation,
            "dropout": self.dropout.p if self.dropout is not None else 0.0,
            "fused": self.layers[0].neurons[0].fused,
        }

    def __repr__(self) -> str:
        sizes = "-".join(str(n) for n in [self.nin, *self.nouts])
        return f"MLP({sizes}, activation={self.activation!r}, output_activation={self.output_activation!r})"


def _as_list(x: Sequence[Input]) -> list[Input]:
    """Inputs as a list: NumPy rows become plain floats (much faster to multiply)."""
    if type(x) is list:
        return x
    if hasattr(x, "tolist"):
        return x.tolist()
    return list(x)


def _rng(seed: Seed) -> random.Random:
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def _positive_int(n: object, who: str, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{who}: {what} must be a positive integer, got {n!r}")
    return n


def _few(names: list[str]) -> str:
    if not names:
        return "none"
    shown = ", ".join(repr(n) for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")
