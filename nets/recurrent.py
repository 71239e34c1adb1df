"""Recurrent networks: one cell applied at every time step, with the same weights.

An RNN reads a sequence x_1 ... x_T one step at a time and carries a hidden state,
h_t = act(W_x x_t + W_h h_{t-1} + b).  Unrolled over T steps it is just a deep graph in
which every weight appears T times, so `backward()` *is* backpropagation through time
(BPTT): each shared weight receives the sum of every step's contribution.  Truncated BPTT
cuts that graph every k steps with `Value.detach()`, so gradients flow back at most k steps.
"""

from __future__ import annotations

import math
import random
from typing import Any, Sequence

import autograd
from autograd import Value
from autograd.value import Message

from . import activations
from . import init as initialisers
from .dense import Layer
from .gated import GRUCell, LSTMCell, positive_size
from .module import Input, Module, Seed, seeded, sizes
from .outputs import Steps

State = list[Value]


class RNNCell(Module):
    """One time step: h_t = act(W_x x_t + W_h h_{t-1} + b), one fused node per unit.

    Unit j has the weights `weight_ih[j]` (one per input), `weight_hh[j]` (one per unit,
    the recurrent ones) and `bias[j]`, named as PyTorch names them.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        activation: str | None = "tanh",
        init: str | None = None,
        seed: Seed = None,
    ) -> None:
        self.input_size = _size(input_size, "input_size")
        self.hidden_size = _size(hidden_size, "hidden_size")
        self.activation = activation or "linear"
        self._act = activations.get(self.activation)
        draw = initialisers.get(init, self.activation)
        rng = seeded(seed)
        fan_in = self.input_size + self.hidden_size
        self.weight_ih = [[Value(draw(fan_in, hidden_size, rng), label=f"Wx[{j + 1},{i + 1}]") for i in range(input_size)]
                          for j in range(hidden_size)]
        self.weight_hh = [[Value(draw(fan_in, hidden_size, rng), label=f"Wh[{j + 1},{k + 1}]") for k in range(hidden_size)]
                          for j in range(hidden_size)]
        self.bias = [Value(0.0, label=f"b[{j + 1}]") for j in range(hidden_size)]

    def __call__(self, x: Sequence[Input], h: Sequence[Input] | None = None) -> State:
        """The next hidden state from input `x` and the previous state `h` (zeros if None)."""
        x = x.tolist() if hasattr(x, "tolist") else list(x)
        h = [0.0] * self.hidden_size if h is None else list(h)
        if len(x) != self.input_size or len(h) != self.hidden_size:
            raise ValueError(Message("{who}: expected {input_size} inputs and a state of {hidden_size}, got {inputs} inputs "
                                     "and a state of {state}", who="RNNCell", input_size=self.input_size,
                                     hidden_size=self.hidden_size, inputs=len(x), state=len(h)))
        inputs = [*x, *h]
        if any(type(v) is Value for v in inputs):  # a plain number among Values: one leaf, shared by every unit
            inputs = [v if type(v) is Value else Value(v) for v in inputs]
        act, weighted_sum = self._act, autograd.weighted_sum
        return [act(weighted_sum([*w_x, *w_h], inputs, b)) for w_x, w_h, b in zip(self.weight_ih, self.weight_hh, self.bias)]

    def own_parameters(self) -> list[tuple[str, Value]]:
        named = [(f"weight_ih.{j}.{i}", w) for j, row in enumerate(self.weight_ih) for i, w in enumerate(row)]
        named += [(f"weight_hh.{j}.{k}", w) for j, row in enumerate(self.weight_hh) for k, w in enumerate(row)]
        return named + [(f"bias.{j}", b) for j, b in enumerate(self.bias)]

    def config(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size, "activation": self.activation}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        """(inputs + hidden + 1) weights for each hidden unit."""
        n = sizes(config.get("input_size"), config.get("hidden_size"))
        return None if n is None else (n[0] + n[1] + 1) * n[1]

    def __repr__(self) -> str:
        return f"RNNCell({self.input_size}, {self.hidden_size}, activation={self.activation!r})"


class Unrolled(Module):
    """A cell applied along a sequence, the same weights at every step; the shared part of
    `RNN`, `LSTM` and `GRU`.

    The initial state defaults to zeros, as leaves labelled h0[1], h0[2], ... (and c0[j] for
    an LSTM) so that after `backward()` their grads show how much gradient reached the start
    of the sequence.  `truncate=k` is truncated BPTT: after every k steps the state passed on
    is `detach()`ed, so no gradient flows back past it (the forward values are unchanged).
    """

    cell: Any
    CELL: type[Module]  # the kind of cell it unrolls, which counts the parameters

    def __init__(self, cell: Module, truncate: int | None) -> None:
        if truncate is not None:
            _size(truncate, "truncate")
        self.cell = cell
        self.truncate = truncate

    def __call__(self, xs: Sequence[Sequence[Input]], state: Any = None) -> list[State]:
        """[h_1, ..., h_T] for the sequence `xs` (one list of inputs per step), from `state`."""
        return [self._hidden(s) for s in self.unroll(xs, state)]

    def unroll(self, xs: Sequence[Sequence[Input]], state: Any = None) -> list[Any]:
        """The cell's state after every step: h_t for an RNN or a GRU, the pair (h_t, c_t) for an LSTM."""
        xs = xs.tolist() if hasattr(xs, "tolist") else list(xs)
        if not xs:
            raise ValueError(Message("{who}: the sequence is empty (it needs at least one time step)", who=type(self).__name__))
        state = self.initial_state() if state is None else state
        states = []
        for t, x in enumerate(xs, start=1):
            state = self.cell(x, state)
            for name, part in self._parts(state):
                for j, v in enumerate(part, start=1):
                    v.label = f"{name}{t}[{j}]"
            states.append(state)
            if self.truncate and t % self.truncate == 0:  # the cut: the next step starts from leaves
                state = self._rebuild([[v.detach() for v in part] for _, part in self._parts(state)])
        return states

    def initial_state(self) -> Any:
        n = self.cell.hidden_size
        return self._rebuild([[Value(0.0, label=f"{name}0[{j}]") for j in range(1, n + 1)] for name, _ in self._parts(None)])

    def _parts(self, state: Any) -> list[tuple[str, Any]]:
        """The named parts of a state: just h, except for the LSTM's (h, c)."""
        return [("h", state)]

    def _rebuild(self, parts: list[State]) -> Any:
        return parts[0]

    def _hidden(self, state: Any) -> State:
        return state

    def children(self) -> list[tuple[str, Module]]:
        return [("cell", self.cell)]

    def config(self) -> dict[str, Any]:
        return {**self.cell.config(), "truncate": self.truncate}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        return cls.CELL.parameter_count(config)  # type: ignore[misc]

    def __repr__(self) -> str:
        cut = f", truncate={self.truncate}" if self.truncate else ""
        return f"{repr(self.cell).replace('Cell(', '(', 1)[:-1]}{cut})"


class RNN(Unrolled):
    """`RNNCell` applied along a sequence; returns every hidden state h_1 ... h_T."""

    CELL = RNNCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        activation: str | None = "tanh",
        init: str | None = None,
        truncate: int | None = None,
        seed: Seed = None,
    ) -> None:
        super().__init__(RNNCell(input_size, hidden_size, activation=activation, init=init, seed=seed), truncate)


class GRU(Unrolled):
    """`GRUCell` applied along a sequence; returns every hidden state h_1 ... h_T."""

    CELL = GRUCell

    def __init__(self, input_size: int, hidden_size: int, *, init: str | None = None,
                 truncate: int | None = None, seed: Seed = None) -> None:
        super().__init__(GRUCell(input_size, hidden_size, init=init, seed=seed), truncate)


class LSTM(Unrolled):
    """`LSTMCell` applied along a sequence; returns every hidden state h_1 ... h_T (PyTorch's
    `output`).  `unroll` gives the pairs (h_t, c_t), cell states included; a given initial
    state is a pair (h0, c0)."""

    CELL = LSTMCell

    def __init__(self, input_size: int, hidden_size: int, *, init: str | None = None,
                 truncate: int | None = None, seed: Seed = None) -> None:
        super().__init__(LSTMCell(input_size, hidden_size, init=init, seed=seed), truncate)

    def _parts(self, state: Any) -> list[tuple[str, Any]]:
        h, c = (None, None) if state is None else state
        return [("h", h), ("c", c)]

    def _rebuild(self, parts: list[State]) -> tuple[State, State]:
        return parts[0], parts[1]

    def _hidden(self, state: tuple[State, State]) -> State:
        return state[0]


LAYERS: dict[str, type[Unrolled]] = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class RNNModel(Module):
    """A recurrent layer with a linear read-out `Layer`: a whole sequence in, an answer out.

    `cell` picks the layer: "rnn" (`RNN`, with `activation`), "lstm" (`LSTM`) or "gru" (`GRU`).
    Many-to-one (the default) reads out the last hidden state: one Value for one output,
    else a list.  `return_sequences=True` (Keras's name) reads out every state, many-to-many,
    and returns them as `Steps`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int = 1,
        activation: str = "tanh",
        output_activation: str | None = None,
        init: str | None = None,
        seed: int | None = None,
        *,
        return_sequences: bool = False,
        truncate: int | None = None,
        cell: str = "rnn",
    ) -> None:
        if not isinstance(return_sequences, bool):
            raise TypeError(Message("RNNModel: return_sequences must be True or False, got {return_sequences!r}",
                                    return_sequences=return_sequences))
        if cell not in LAYERS:
            raise ValueError(Message("RNNModel: unknown cell {cell!r}; choose one of {choices}", cell=cell, choices=", ".join(LAYERS)))
        if cell != "rnn" and activation != "tanh":
            raise ValueError(Message("RNNModel: an {kind} has its own activations; activation={activation!r} is for cell='rnn'",
                                     kind=cell.upper(), activation=activation))
        rng = random.Random(seed)
        options = {"activation": activation} if cell == "rnn" else {}
        self.rnn = LAYERS[cell](input_size, hidden_size, init=init, truncate=truncate, seed=rng, **options)
        self.readout = Layer(hidden_size, _size(output_size, "output_size"), output_activation, init, seed=rng)
        self.return_sequences = return_sequences
        self.cell = cell

    def __call__(self, xs: Sequence[Sequence[Input]]) -> Value | list[Value] | Steps:
        states = self.rnn(xs)
        if self.return_sequences:
            return Steps(self.read(h) for h in states)
        return self.read(states[-1])

    def read(self, h: State) -> Value | list[Value]:
        """The read-out of one hidden state: a Value for one output, else a list."""
        out = self.readout(h)
        return out[0] if len(out) == 1 else out

    def children(self) -> list[tuple[str, Module]]:
        return [("rnn", self.rnn), ("readout", self.readout)]

    def config(self) -> dict[str, Any]:
        config = {**self.rnn.config(), "output_size": self.readout.nout, "output_activation": self.readout.activation,
                  "return_sequences": self.return_sequences}
        return config if self.cell == "rnn" else {**config, "cell": self.cell}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        """The recurrent layer's, plus the read-out's (hidden + 1) weights per output."""
        layer = LAYERS.get(config.get("cell", "rnn")) if isinstance(config.get("cell", "rnn"), str) else None
        rnn = None if layer is None else layer.parameter_count(config)
        n = sizes(config.get("hidden_size"), config.get("output_size", 1))
        return None if rnn is None or n is None else rnn + (n[0] + 1) * n[1]

    def __repr__(self) -> str:
        kind = "many-to-many" if self.return_sequences else "many-to-one"
        return f"RNNModel({self.rnn!r}, outputs={self.readout.nout}, {kind})"


def hidden_grad_norms(states: Sequence[Sequence[Value]]) -> list[float]:
    """||dL/dh_t|| for each hidden state, after `backward()`: how much gradient reached step t.

    Falling towards the early steps is the vanishing gradient through time; growing, exploding.
    """
    return [math.sqrt(math.fsum(v.grad * v.grad for v in h)) for h in states]


def _size(n: object, what: str) -> int:
    return positive_size(n, "RNN", what)
