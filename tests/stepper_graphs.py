"""The graphs the browser test steps through, imported by the test and by its notebook's kernel
(so both build exactly the same graph): the neuron, a 2-4-1 MLP, micrograd's 2-16-16-1 and a
3-step RNN, each with its loss and its parameters."""

from __future__ import annotations

from typing import Any, Callable

from autograd import Value, sum as total
from nets import MLP, RNN
from nets.losses import mse


def neuron() -> tuple[Value, Any]:
    x1, x2, w1, w2 = Value(2.0, label="x1"), Value(0.0, label="x2"), Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, ()


def mlp(sizes: list[int]) -> tuple[Value, Any]:
    model = MLP(2, sizes, seed=0)
    loss = mse(model([0.5, -1.2]), 1.0)
    loss.label = "loss"
    return loss, model


def rnn() -> tuple[Value, Any]:
    net = RNN(1, 2, seed=0)
    states = net([[Value(x, label=f"x{t}")] for t, x in enumerate([0.5, -1.0, 2.0], start=1)])
    loss = total(states[-1])
    loss.label = "L"
    return loss, net.parameters()


GRAPHS: dict[str, Callable[[], tuple[Value, Any]]] = {
    "neuron": neuron, "2-4-1": lambda: mlp([4, 1]), "2-16-16-1": lambda: mlp([16, 16, 1]), "rnn": rnn}


def make(name: str, **options: Any) -> Any:
    """The Stepper of graph `name` (options as for `Stepper`)."""
    from autograd import Stepper

    root, params = GRAPHS[name]()
    return Stepper(root, params=params, **options)
