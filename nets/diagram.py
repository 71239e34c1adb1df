"""The textbook picture of a network: circles for units, arrows for weights, layer by layer.

`draw_network(MLP(2, [4, 1]))` draws every unit and every connection, and under each layer
how many parameters it holds.  Wide layers show their first and last units with a
"... more" placeholder between, so even the 784-16-16-10 digit network stays readable.
This draws the architecture only; `autograd.draw_graph` draws the computation itself.
"""

from __future__ import annotations

from typing import Sequence, Union

import graphviz

from autograd.value import Message

from .dense import MLP

INPUT = "#f5f5f5"
HIDDEN = "#bbdefb"
OUTPUT = "#c8e6c9"


def draw_network(model: Union[MLP, Sequence[int]], *, max_units: int = 8) -> graphviz.Digraph:
    """An MLP (or a list of layer sizes, inputs first) as circles and arrows, left to right.

    Layers with more than `max_units` units show the first `max_units - 2`, a placeholder
    naming how many are hidden, and the last one.  Each layer is captioned with its size,
    activation and parameter count, `(inputs + 1) * units` (a weight per input and a bias).
    """
    if isinstance(model, MLP):
        sizes = [model.nin, *model.nouts]
        activations = [layer.activation for layer in model.layers]
    else:
        sizes = list(model)
        activations = [""] * (len(sizes) - 1)
    if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes):
        raise ValueError(Message("draw_network: needs an MLP or at least two positive layer sizes, got {model!r}", model=model))
    if isinstance(max_units, bool) or not isinstance(max_units, int) or max_units < 3:
        raise ValueError(Message("draw_network: max_units must be an integer of at least 3, got {max_units!r}", max_units=max_units))

    graph = graphviz.Digraph("network", graph_attr={"rankdir": "LR", "nodesep": "0.12", "ranksep": "1.1", "splines": "false"})
    graph.attr("node", shape="circle", style="filled", width="0.3", fixedsize="true", label="", fontsize="10",
               fontname="Helvetica,Arial,sans-serif")
    graph.attr("edge", color="#9e9e9e", arrowhead="none", penwidth="0.6")
    columns = []
    for i, n in enumerate(sizes):
        fill = INPUT if i == 0 else OUTPUT if i == len(sizes) - 1 else HIDDEN
        units = [f"l{i}u{k}" for k in range(n)] if n <= max_units else \
            [f"l{i}u{k}" for k in range(max_units - 2)] + [f"l{i}more", f"l{i}u{n - 1}"]
        with graph.subgraph() as column:
            column.attr(rank="same")
            column.node(f"l{i}caption", _caption(i, sizes, activations), shape="plaintext", fixedsize="false",
                        style="", fontsize="11")
            for unit in units:
                if unit.endswith("more"):
                    column.node(unit, f"⋮\n{n - max_units + 1} more", shape="plaintext", fixedsize="false", style="")
                else:
                    column.node(unit, fillcolor=fill)
        columns.append(units)
    for i in range(len(sizes) - 1):
        graph.edge(f"l{i}caption", f"l{i + 1}caption", style="invis")
        for a in columns[i]:
            for b in columns[i + 1]:
                dashed = a.endswith("more") or b.endswith("more")
                graph.edge(a, b, style="dashed" if dashed else "solid")
    return graph


def _caption(i: int, sizes: list[int], activations: list[str]) -> str:
    if i == 0:
        return f"input\n{sizes[0]} values"
    name = "output" if i == len(sizes) - 1 else f"hidden {i}"
    act = f" {activations[i - 1]}" if activations[i - 1] else ""
    count = (sizes[i - 1] + 1) * sizes[i]
    units = "unit" if sizes[i] == 1 else "units"
    return f"{name}\n{sizes[i]}{act} {units}\n{count:,} parameters"
