"""Dense networks: a Neuron, a Layer of neurons, Linear (a layer with no activation) and an
MLP of layers.

A neuron computes activation(w . x + b); a layer is neurons that all see the same inputs;
an MLP feeds each layer's outputs to the next.
"""

from __future__ import annotations

import random
from typing import Any, Sequence

import autograd
from autograd import Value
from autograd.value import Message

from . import activations
from . import init as initialisers
from .layers import Dropout
from .module import Input, Module, Seed, as_list, positive_int, seeded, sizes
from .normalization import BatchNorm1d


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
        self.nin = positive_int(nin, "Neuron", "nin")
        if not isinstance(fused, bool):
            raise TypeError(Message("{who}: fused must be True or False, got {fused!r}", who="Neuron", fused=fused))
        self.activation = activation or "linear"
        self._act = activations.get(self.activation)
        self.fused = fused
        draw = initialisers.get(init, self.activation)
        rng = seeded(seed)
        self.w = [Value(draw(nin, fan_out, rng), label=f"w{i + 1}") for i in range(nin)]
        self.b = Value(0.0, label="b")

    def __call__(self, x: Sequence[Input]) -> Value:
        x = as_list(x)
        if len(x) != self.nin:
            raise ValueError(Message("Neuron: expected {nin} inputs, got {got}", nin=self.nin, got=len(x)))
        if self.fused:
            return self._act(autograd.weighted_sum(self.w, x, self.b))
        total = self.w[0] * x[0]  # w1*x1 + w2*x2 + ... + b, one node per operation
        for w, xi in zip(self.w[1:], x[1:]):
            total = total + w * xi
        return self._act(total + self.b)

    def own_parameters(self) -> list[tuple[str, Value]]:
        """Named by position, never by label: relabelling a weight for a drawing keeps its name."""
        return [(f"w{i + 1}", w) for i, w in enumerate(self.w)] + [("b", self.b)]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation, "fused": self.fused}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        n = sizes(config.get("nin"))
        return None if n is None else n[0] + 1

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
        self.nin = positive_int(nin, "Layer", "nin")
        self.nout = positive_int(nout, "Layer", "nout")
        rng = seeded(seed)
        self.neurons = [Neuron(nin, activation, init, fan_out=nout, fused=fused, seed=rng) for _ in range(nout)]

    def __call__(self, x: Sequence[Input]) -> list[Value]:
        x = as_list(x)
        return [neuron(x) for neuron in self.neurons]

    @property
    def activation(self) -> str:
        return self.neurons[0].activation

    def children(self) -> list[tuple[str, Module]]:
        return [(f"neurons.{i}", n) for i, n in enumerate(self.neurons)]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation, "fused": self.neurons[0].fused}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        n = sizes(config.get("nin"), config.get("nout"))
        return None if n is None else (n[0] + 1) * n[1]

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class Linear(Layer):
    """`nout` weighted sums of all `nin` inputs, with no activation: PyTorch's `nn.Linear`.

    It is a `Layer` whose activation is linear, so it returns a list of `nout` Values;
    follow it with `ReLU()` (and pass `init="he_uniform"`) for a hidden layer.
    """

    def __init__(self, nin: int, nout: int, *, init: str | None = None, fused: bool = True, seed: Seed = None) -> None:
        super().__init__(nin, nout, "linear", init, fused=fused, seed=seed)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "fused": self.neurons[0].fused}

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {self.nout})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes `nouts`, each feeding the next.

    Hidden layers use `activation`, the last layer `output_activation` (None: linear
    scores, for hinge, logits or regression).  A one-unit last layer returns a single
    Value, otherwise a list.  The same `seed` gives the same weights.  `batch_norm=True`
    puts a BatchNorm1d between each hidden layer's weighted sums and its activation.
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
        batch_norm: bool = False,
    ) -> None:
        self.nin = positive_int(nin, "MLP", "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(Message("MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}", nouts=nouts))
        if not isinstance(batch_norm, bool):
            raise TypeError(Message("MLP: batch_norm must be True or False, got {batch_norm!r}", batch_norm=batch_norm))
        self.nouts = [positive_int(n, "MLP", Message("each layer size")) for n in nouts]
        activations.get(activation)  # checked even when no hidden layer uses it
        self.activation = activation
        self.output_activation = output_activation or "linear"
        self.init = init
        self.seed = seed
        rng = random.Random(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        # with batch norm a hidden layer's neurons stay linear; the activation comes after the norm
        hidden_activation = "linear" if batch_norm else activation
        hidden_init = init or initialisers.default(activation)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], hidden_activation if i < last else self.output_activation,
                  hidden_init if i < last else init, fused=fused, seed=rng)
            for i in range(len(self.nouts))
        ]
        self.norms = [BatchNorm1d(n) for n in self.nouts[:-1]] if batch_norm else None
        self._act = activations.get(activation)
        self.dropout = Dropout(dropout, seed=rng) if dropout else None

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        return self.forward_batch([x])[0]

    def forward_batch(self, xs: Sequence) -> list:
        """The whole batch through each layer in turn (batch norm needs every example at once)."""
        xs = [as_list(x) for x in xs]
        *hidden, output = self.layers
        for i, layer in enumerate(hidden):
            xs = layer.forward_batch(xs)
            if self.norms is not None:
                act = self._act
                xs = [[act(v) for v in row] for row in self.norms[i].forward_batch(xs)]
            if self.dropout is not None:
                xs = self.dropout.forward_batch(xs)
        return [out[0] if len(out) == 1 else out for out in output.forward_batch(xs)]

    def children(self) -> list[tuple[str, Module]]:
        named: list[tuple[str, Module]] = [(f"layers.{i}", layer) for i, layer in enumerate(self.layers)]
        named += [(f"norms.{i}", norm) for i, norm in enumerate(self.norms or [])]
        return named + ([("dropout", self.dropout)] if self.dropout is not None else [])

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "nouts": self.nouts,
            "activation": self.activation,
            "output_activation": self.output_activation,
            "dropout": self.dropout.p if self.dropout is not None else 0.0,
            "fused": self.layers[0].neurons[0].fused,
            "batch_norm": self.norms is not None,
        }

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        nouts = config.get("nouts")
        n = sizes(config.get("nin"), *nouts) if isinstance(nouts, list) else None
        if n is None:
            return None
        norms = 2 * sum(n[1:-1]) if config.get("batch_norm") is True else 0  # each hidden layer's gamma and beta
        return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(n, n[1:])) + norms

    def __repr__(self) -> str:
        sizes = "-".join(str(n) for n in [self.nin, *self.nouts])
        return f"MLP({sizes}, activation={self.activation!r}, output_activation={self.output_activation!r})"
