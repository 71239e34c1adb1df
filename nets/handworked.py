"""The networks the course differentiates by hand, ready to step through: notebook 2's
neuron (`neuron()`), and two small networks.

`two_two_two()` is the classic 2-2-2 sigmoid network with a squared-error loss (the numbers
of Matt Mazur's "A step by step backpropagation example": inputs 0.05 and 0.10, weights
0.15 ... 0.55, one bias per layer shared by its two neurons, targets 0.01 and 0.99); its
`mse` over two outputs is exactly that example's E = ½ Σ (target - out)².  `two_four_one()`
is a 2-4-1 sigmoid network with 17 parameters (8 + 4 hidden weights and biases, 4 + 1 at
the output) and `mse` against one target, the 17 gradients a learner derives by hand.

Each returns its output (a network's: its loss) and its leaves by name (`w1`, `b1`, ...), so
`Stepper(loss, params=params)` and the sentences use the names of the derivation:
`stepgrad explain --network 2-2-2 --html steps.html` writes its page.
"""

from __future__ import annotations

from typing import Callable

from autograd import Value
from autograd.value import weighted_sum

from .losses import mse

Network = tuple[Value, dict[str, Value]]


def _named(values: dict[str, float]) -> dict[str, Value]:
    return {name: Value(x, label=name) for name, x in values.items()}


def _neuron(name: str, weights: list[Value], inputs: list, bias: Value) -> Value:
    """`name = sigmoid(net_name)`, with `net_name = Σ w·x + b` (labelled as a hand derivation writes them)."""
    net = weighted_sum(weights, inputs, bias)
    net.label = f"net_{name}"
    out = net.sigmoid()
    out.label = name
    return out


def neuron() -> Network:
    """Notebook 2's neuron, `o = tanh(x1·w1 + x2·w2 + b)` with `n` its sum: o = 0.7071, so
    do/dn = 0.5 (b is chosen for it).  Returns `o` and its five leaves by name."""
    leaves = _named({"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432})
    n = leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, leaves


def two_two_two() -> Network:
    """The 2-2-2 sigmoid network of the classic hand-worked example; E = 0.2984."""
    p = _named({"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "b1": 0.35,
                "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55, "b2": 0.60})
    x = [0.05, 0.10]
    h1 = _neuron("h1", [p["w1"], p["w2"]], x, p["b1"])
    h2 = _neuron("h2", [p["w3"], p["w4"]], x, p["b1"])
    o1 = _neuron("o1", [p["w5"], p["w6"]], [h1, h2], p["b2"])
    o2 = _neuron("o2", [p["w7"], p["w8"]], [h1, h2], p["b2"])
    loss = mse([o1, o2], [0.01, 0.99])
    loss.label = "E"
    return loss, p


def two_four_one() -> Network:
    """A 2-4-1 sigmoid network, inputs (1.0, 0.5), target 1.0: 17 parameters, 17 gradients."""
    p = _named({"w1": 0.2, "w2": -0.4, "b1": 0.1, "w3": 0.7, "w4": 0.1, "b2": -0.1,
                "w5": -0.3, "w6": 0.5, "b3": 0.2, "w7": 0.6, "w8": -0.2, "b4": 0.0,
                "w9": 0.5, "w10": -0.6, "w11": 0.3, "w12": 0.8, "b5": -0.2})
    x = [1.0, 0.5]
    hidden = [_neuron(f"h{j}", [p[f"w{2 * j - 1}"], p[f"w{2 * j}"]], x, p[f"b{j}"]) for j in range(1, 5)]
    y = _neuron("y", [p[f"w{8 + j}"] for j in range(1, 5)], hidden, p["b5"])
    loss = mse(y, 1.0)
    loss.label = "L"
    return loss, p


NETWORKS: dict[str, Callable[[], Network]] = {"2-2-2": two_two_two, "2-4-1": two_four_one}
