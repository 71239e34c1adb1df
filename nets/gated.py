"""Gated recurrent cells: the LSTM (Hochreiter & Schmidhuber, 1997) and the GRU (Cho et al., 2014).

A plain RNN's gradient is multiplied by W_h and tanh's slope at every step back, so it
vanishes or explodes over long sequences.  An LSTM also carries a cell state c that is
updated by addition, c_t = f * c_{t-1} + i * g, so going back one step along c multiplies
the gradient only by the forget gate f: near 1, it survives many steps.  A GRU merges the
cell state into h, with h_t = (1 - z) * n + z * h_{t-1}: where z is near 1 it survives the same way.

Names, gate order and formulas are PyTorch's (`torch.nn.LSTMCell`, `torch.nn.GRUCell`):
`weight_ih` has one row per gate unit, gates stacked in the order i, f, g, o (LSTM) or
r, z, n (GRU), and each gate has two biases, `bias_ih` and `bias_hh`.
"""

from __future__ import annotations

from typing import Any, Sequence

import autograd
from autograd import Value
from autograd.value import Message

from . import init as initialisers
from .module import Input, Module, Seed, seeded, sizes

State = list[Value]


def positive_size(n: object, who: str, what: str) -> int:
    """`n` if it is a positive integer (a size), else a ValueError naming `who` and `what`."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(Message("{who}: {what} must be a positive integer, got {n!r}", who=who, what=what, n=n))
    return n


class GatedCell(Module):
    """The weights shared by the gated cells: one row of `weight_ih`, `weight_hh`, `bias_ih`
    and `bias_hh` per unit of each gate, the gates stacked in the order of `GATES`."""

    GATES: tuple[str, ...] = ()

    def __init__(self, input_size: int, hidden_size: int, *, init: str | None = None, seed: Seed = None) -> None:
        who = type(self).__name__
        self.input_size = positive_size(input_size, who, "input_size")
        self.hidden_size = positive_size(hidden_size, who, "hidden_size")
        draw = initialisers.get(init, "tanh")
        rng = seeded(seed)
        fan_in = self.input_size + self.hidden_size
        rows = [(g, j) for g in self.GATES for j in range(1, hidden_size + 1)]
        self.weight_ih = [[Value(draw(fan_in, hidden_size, rng), label=f"Wx_{g}[{j},{i}]") for i in range(1, input_size + 1)]
                          for g, j in rows]
        self.weight_hh = [[Value(draw(fan_in, hidden_size, rng), label=f"Wh_{g}[{j},{k}]") for k in range(1, hidden_size + 1)]
                          for g, j in rows]
        self.bias_ih = [Value(0.0, label=f"bx_{g}[{j}]") for g, j in rows]
        self.bias_hh = [Value(0.0, label=f"bh_{g}[{j}]") for g, j in rows]

    def gate_rows(self, gate: str) -> range:
        """The rows of the weights that belong to `gate` (one of GATES), as in PyTorch's layout."""
        start = self.GATES.index(gate) * self.hidden_size
        return range(start, start + self.hidden_size)

    def _inputs(self, x: Sequence[Input], h: Sequence[Input]) -> tuple[list, list]:
        x = x.tolist() if hasattr(x, "tolist") else list(x)
        h = list(h)
        if len(x) != self.input_size or len(h) != self.hidden_size:
            raise ValueError(Message("{who}: expected {input_size} inputs and a state of {hidden_size}, got {inputs} inputs "
                                     "and a state of {state}", who=type(self).__name__, input_size=self.input_size,
                                     hidden_size=self.hidden_size, inputs=len(x), state=len(h)))
        if any(type(v) is Value for v in [*x, *h]):  # a plain number among Values: one leaf, shared by every unit
            x, h = ([v if type(v) is Value else Value(v) for v in vs] for vs in (x, h))
        return x, h

    def _gate(self, row: int, x: list, h: list) -> Value:
        """W_ih[row] . x + b_ih[row] + W_hh[row] . h + b_hh[row], the pre-activation of one gate unit."""
        return (autograd.weighted_sum(self.weight_ih[row], x, self.bias_ih[row])
                + autograd.weighted_sum(self.weight_hh[row], h, self.bias_hh[row]))

    def own_parameters(self) -> list[tuple[str, Value]]:
        named = []
        for name in ("weight_ih", "weight_hh"):
            named += [(f"{name}.{r}.{i}", w) for r, row in enumerate(getattr(self, name)) for i, w in enumerate(row)]
        for name in ("bias_ih", "bias_hh"):
            named += [(f"{name}.{r}", b) for r, b in enumerate(getattr(self, name))]
        return named

    def config(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        """Per unit of each gate: a weight per input and per hidden unit, and two biases (as PyTorch)."""
        n = sizes(config.get("input_size"), config.get("hidden_size"))
        return None if n is None else len(cls.GATES) * (n[0] + n[1] + 2) * n[1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"


class LSTMCell(GatedCell):
    """One LSTM step, (h, c) -> (h', c'), as `torch.nn.LSTMCell`:

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)    input gate: how much of g to write
        f = sigmoid(W_if x + b_if + W_hf h + b_hf)    forget gate: how much of c to keep
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)       the candidate values
        o = sigmoid(W_io x + b_io + W_ho h + b_ho)    output gate: how much of c to show
        c' = f * c + i * g,    h' = o * tanh(c')
    """

    GATES = ("i", "f", "g", "o")

    def __call__(self, x: Sequence[Input], state: tuple[Sequence[Input], Sequence[Input]] | None = None) -> tuple[State, State]:
        """(h', c') from input `x` and the previous state `(h, c)` (zeros if None)."""
        h, c = ([0.0] * self.hidden_size,) * 2 if state is None else state
        c = list(c)
        if len(c) != self.hidden_size:
            raise ValueError(Message("LSTMCell: expected a cell state of {hidden_size}, got {got}", hidden_size=self.hidden_size, got=len(c)))
        x, h = self._inputs(x, h)
        units = range(self.hidden_size)
        i, f, g, o = ([self._gate(r, x, h) for r in self.gate_rows(name)] for name in self.GATES)
        i, f, o = ([v.sigmoid() for v in gate] for gate in (i, f, o))
        g = [v.tanh() for v in g]
        for name, gate in zip(self.GATES, (i, f, g, o)):
            for j, v in enumerate(gate, start=1):
                v.label = f"{name}[{j}]"
        c_new = [f[j] * c[j] + i[j] * g[j] for j in units]
        return [o[j] * c_new[j].tanh() for j in units], c_new


class GRUCell(GatedCell):
    """One GRU step, h -> h', as `torch.nn.GRUCell`:

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)        reset gate
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)        update gate: how much of h to keep
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))     the candidate state
        h' = (1 - z) * n + z * h
    """

    GATES = ("r", "z", "n")

    def __call__(self, x: Sequence[Input], h: Sequence[Input] | None = None) -> State:
        """The next hidden state from input `x` and the previous state `h` (zeros if None)."""
        x, h = self._inputs(x, [0.0] * self.hidden_size if h is None else h)
        r, z = ([self._gate(row, x, h).sigmoid() for row in self.gate_rows(name)] for name in ("r", "z"))
        n = [(autograd.weighted_sum(self.weight_ih[row], x, self.bias_ih[row])
              + r[j] * autograd.weighted_sum(self.weight_hh[row], h, self.bias_hh[row])).tanh()
             for j, row in enumerate(self.gate_rows("n"))]
        for name, gate in zip(self.GATES, (r, z, n)):
            for j, v in enumerate(gate, start=1):
                v.label = f"{name}[{j}]"
        return [(1.0 - z[j]) * n[j] + z[j] * h[j] for j in range(self.hidden_size)]
