"""Networks as Modules: a Neuron, a Layer of neurons, an MLP of layers, and Dropout.

Every parameter is a leaf `Value`, so `loss.backward()` fills in `p.grad` for each one and
an optimiser can nudge `p.data` downhill.  The interface follows PyTorch's names.
"""

from __future__ import annotations

import math
import numbers
import random
import weakref
from typing import Any, Callable, Iterator, Sequence, Union

import autograd
from autograd import Value

from . import activations
from . import init as initialisers

Input = Union[Value, float, int]
Seed = Union[int, random.Random, None]


class Module:
    """Something with parameters: each subclass lists its own and its child modules."""

    training: bool = True
    requires_grad: bool = True  # False: optimisers leave this module's own parameters alone

    def forward_batch(self, xs: Sequence) -> list:
        """The outputs for a batch of examples, in order: `fit` calls this.

        By default each example goes through on its own, `[self(x) for x in xs]`; a module
        whose examples interact in training (BatchNorm1d) overrides it.
        """
        return [self(x) for x in xs]  # type: ignore[operator]

    def own_parameters(self) -> list[tuple[str, Value]]:
        """The parameters that belong to this module itself, by name."""
        return []

    def own_buffers(self) -> list[tuple[str, Value]]:
        """State that is saved with the module but not trained (BatchNorm's running statistics)."""
        return []

    def children(self) -> list[tuple[str, Module]]:
        """The modules directly inside this one, by name."""
        return []

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter, named by its path ("layers.0.neurons.3.w1"), in a fixed order."""
        return _named(self, lambda module: module.own_parameters())

    def named_buffers(self) -> list[tuple[str, Value]]:
        """Every buffer, named by its path ("norms.0.running_mean.2")."""
        return _named(self, lambda module: module.own_buffers())

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

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze this module and every module inside it, as in PyTorch.

        Optimisers skip a frozen module's parameters, so `fit` leaves them bit-for-bit
        unchanged (gradients still flow through them to the layers below).
        """
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_: expected True or False, got {requires_grad!r}")
        for module in self.modules():
            module.requires_grad = requires_grad
            if requires_grad:
                _frozen.discard(module)
            else:
                _frozen.add(module)
        return self

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A copy (pickle, deepcopy) of a frozen module is frozen too."""
        self.__dict__.update(state)
        if not self.requires_grad:
            _frozen.add(self)

    def state_dict(self) -> dict[str, float]:
        """Every parameter's and buffer's current value, by name: what `save` writes."""
        return {name: p.data for name, p in self.named_parameters() + self.named_buffers()}

    def load_state_dict(self, state: dict[str, float]) -> None:
        """Set every parameter and buffer from `state`, which must name exactly this module's."""
        named = dict(self.named_parameters() + self.named_buffers())
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
        """Named by position, never by label: relabelling a weight for a drawing keeps its name."""
        return [(f"w{i + 1}", w) for i, w in enumerate(self.w)] + [("b", self.b)]

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
        from .normalization import BatchNorm1d  # normalization imports this module

        self.nin = _positive_int(nin, "MLP", "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        if not isinstance(batch_norm, bool):
            raise TypeError(f"MLP: batch_norm must be True or False, got {batch_norm!r}")
        self.nouts = [_positive_int(n, "MLP", "each layer size") for n in nouts]
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
        xs = [_as_list(x) for x in xs]
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

    def __repr__(self) -> str:
        sizes = "-".join(str(n) for n in [self.nin, *self.nouts])
        return f"MLP({sizes}, activation={self.activation!r}, output_activation={self.output_activation!r})"


_frozen: weakref.WeakSet[Module] = weakref.WeakSet()  # the live modules with requires_grad False


def frozen_parameters() -> set[Value]:
    """The parameters of every frozen module still alive (what optimisers skip).

    Frozen-ness is kept on the modules, not on each Value (a slot on every node would cost
    memory on every node of every graph).
    """
    return {p for module in list(_frozen) for _, p in module.own_parameters()}


def _named(module: Module, own: Callable[[Module], list[tuple[str, Value]]]) -> list[tuple[str, Value]]:
    """`own(module)` and the same of every module inside it, each named by its path."""
    named = list(own(module))
    for prefix, child in module.children():
        named += [(f"{prefix}.{name}", v) for name, v in _named(child, own)]
    return named


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
