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

from . import activations
from . import init as initialisers
from .losses import Loss
from .module import Input, Layer, Module, Seed

State = list[Value]


class Steps(list):
    """A model's outputs at every time step (many-to-many), one entry per step.

    A plain list reads as the several outputs of one example; this type tells `fit`,
    `evaluate` and `predict` to apply the loss, and to read the classes, step by step.
    """


class RNNCell(Module):
    """One time step: h_t = act(W_x x_t + W_h h_{t-1} + b), one fused node per unit.

    Unit j has the weights `weight_ih[j]` (one per input), `weight_hh[j]` (one per unit,
    the recurrent ones) and `bias[j]`, named as PyTorch names them.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        activation: str | None = "tanh",
        init: str | None = None,
        *,
        seed: Seed = None,
    ) -> None:
        self.input_size = _size(input_size, "input_size")
        self.hidden_size = _size(hidden_size, "hidden_size")
        self.activation = activation or "linear"
        self._act = activations.get(self.activation)
        draw = initialisers.get(init, self.activation)
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
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
            raise ValueError(f"RNNCell: expected {self.input_size} inputs and a state of {self.hidden_size}, "
                             f"got {len(x)} inputs and a state of {len(h)}")
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

    def __repr__(self) -> str:
        return f"RNNCell({self.input_size}, {self.hidden_size}, activation={self.activation!r})"


class RNN(Module):
    """The cell applied along a sequence; returns every hidden state h_1 ... h_T.

    `h0` defaults to zeros, as leaves labelled h0[1], h0[2], ... so that after `backward()`
    their grads show how much gradient reached the start of the sequence.  `truncate=k`
    is truncated BPTT: after every k steps the state passed on is `detach()`ed, so no
    gradient flows back past it (the forward values are unchanged).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        activation: str | None = "tanh",
        init: str | None = None,
        *,
        truncate: int | None = None,
        seed: Seed = None,
    ) -> None:
        if truncate is not None:
            _size(truncate, "truncate")
        self.cell = RNNCell(input_size, hidden_size, activation, init, seed=seed)
        self.truncate = truncate

    def __call__(self, xs: Sequence[Sequence[Input]], h0: Sequence[Input] | None = None) -> list[State]:
        """[h_1, ..., h_T] for the sequence `xs` (one list of inputs per step), from `h0`."""
        xs = xs.tolist() if hasattr(xs, "tolist") else list(xs)
        if not xs:
            raise ValueError("RNN: the sequence is empty (it needs at least one time step)")
        h = self.initial_state() if h0 is None else list(h0)
        states = []
        for t, x in enumerate(xs, start=1):
            h = self.cell(x, h)
            for j, v in enumerate(h, start=1):
                v.label = f"h{t}[{j}]"
            states.append(h)
            if self.truncate and t % self.truncate == 0:
                h = [v.detach() for v in h]  # the cut: the next step starts from leaves
        return states

    def initial_state(self) -> State:
        return [Value(0.0, label=f"h0[{j}]") for j in range(1, self.cell.hidden_size + 1)]

    def children(self) -> list[tuple[str, Module]]:
        return [("cell", self.cell)]

    def config(self) -> dict[str, Any]:
        return {**self.cell.config(), "truncate": self.truncate}

    def __repr__(self) -> str:
        cut = f", truncate={self.truncate}" if self.truncate else ""
        return f"RNN({self.cell.input_size}, {self.cell.hidden_size}, activation={self.cell.activation!r}{cut})"


class RNNModel(Module):
    """An RNN with a linear read-out `Layer`: a whole sequence in, an answer out.

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
    ) -> None:
        if not isinstance(return_sequences, bool):
            raise TypeError(f"RNNModel: return_sequences must be True or False, got {return_sequences!r}")
        rng = random.Random(seed)
        self.rnn = RNN(input_size, hidden_size, activation, init, truncate=truncate, seed=rng)
        self.readout = Layer(hidden_size, _size(output_size, "output_size"), output_activation, init, seed=rng)
        self.return_sequences = return_sequences

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
        return {**self.rnn.config(), "output_size": self.readout.nout, "output_activation": self.readout.activation,
                "return_sequences": self.return_sequences}

    def __repr__(self) -> str:
        kind = "many-to-many" if self.return_sequences else "many-to-one"
        return f"RNNModel({self.rnn!r}, outputs={self.readout.nout}, {kind})"


def per_step(loss_fn: Loss) -> Loss:
    """`loss_fn` extended to `Steps` outputs: the mean of its value over the time steps.

    Other outputs go to `loss_fn` unchanged, so `fit` can wrap every loss in this.
    """

    def loss(output: Any, target: Any) -> Value:
        if not isinstance(output, Steps):
            return loss_fn(output, target)
        if not isinstance(target, Sequence) or len(output) != len(target):
            raise ValueError(f"per-step loss: {len(output)} steps of output need as many targets, got {target!r}")
        return autograd.sum(map(loss_fn, output, target)) * (1.0 / len(output))

    return loss


def hidden_grad_norms(states: Sequence[Sequence[Value]]) -> list[float]:
    """||dL/dh_t|| for each hidden state, after `backward()`: how much gradient reached step t.

    Falling towards the early steps is the vanishing gradient through time; growing, exploding.
    """
    return [math.sqrt(math.fsum(v.grad * v.grad for v in h)) for h in states]


def _size(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"RNN: {what} must be a positive integer, got {n!r}")
    return n
