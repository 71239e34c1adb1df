"""The graphs the browser test steps through, imported by the test and by its notebook's kernel
(so both build exactly the same graph): the neuron, a 2-4-1 MLP, micrograd's 2-16-16-1, a
3-step RNN and a small CNN, each with its loss and its parameters."""

from __future__ import annotations

from typing import Any, Callable

from autograd import Value, sum as total
from nets import MLP, RNN, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, handworked
from nets.losses import mse


def neuron() -> tuple[Value, Any]:
    return handworked.neuron()[0], ()  # no leaf marked as a parameter, as the course's page has it


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


def cnn() -> tuple[Value, Any]:
    """Two 2x2 filters over a 3x3 image, ReLU, 2x2 max pooling, and a neuron on the two maxima."""
    model = Sequential(Conv2d(1, 2, 2, seed=0), ReLU(), MaxPool2d(2), Flatten(), Linear(2, 1, seed=0))
    image = [[[0.5, -1.0, 2.0], [1.0, 0.0, -0.5], [0.25, 1.5, -2.0]]]
    loss = mse(model(image), 1.0)
    loss.label = "loss"
    return loss, model


GRAPHS: dict[str, Callable[[], tuple[Value, Any]]] = {
    "neuron": neuron, "2-4-1": lambda: mlp([4, 1]), "2-16-16-1": lambda: mlp([16, 16, 1]), "rnn": rnn, "cnn": cnn}


def make(name: str, **options: Any) -> Any:
    """The Stepper of graph `name` (options as for `Stepper`)."""
    from autograd import Stepper

    root, params = GRAPHS[name]()
    return Stepper(root, params=params, **options)
