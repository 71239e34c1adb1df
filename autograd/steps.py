"""Backprop one node at a time: `backward_steps`, the `Step`s it yields, and `Stepper`.

`backward()` runs the chain rule in one go.  Here the same pass is cut into steps, one per
node, and each step can say what it did in a sentence (`step.explain()`) and show the
graph as it stood at that moment (`step.draw()`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple

from .draw import (
    HIGHLIGHT,
    HIGHLIGHT_INPUT,
    _checked_nodes,
    _digraph,
    graph_nodes,
    node_names,
    number,
    pipe,
)
from .ops import lookup
from .value import Value, _fresh_grads, backward_order

if TYPE_CHECKING:
    import graphviz
    import ipywidgets

LISTED = 6  # a step with more updates than this lists the first few and summarises the rest


class Update(NamedTuple):
    """What one input received in a step: `input.grad += local * node.grad`."""

    input: Value
    local: float  # d(node)/d(input), stored by the forward pass
    added: float  # local * node.grad
    grad: float  # input.grad right after the addition


@dataclass(frozen=True, eq=False)
class Step:
    """One node passing its gradient on to its inputs.

    `index` counts from 0 in the order of `backward()`, up to `total - 1`; `grad` is the
    node's grad, final by now, which every update multiplied.
    """

    node: Value
    index: int
    total: int
    grad: float
    updates: tuple[Update, ...]
    walk: _Walk = field(repr=False)

    def explain(self) -> str:
        """The chain rule at this node in one sentence, with the numbers."""
        return sentence(self, self.walk.names)

    def draw(self, **options: Any) -> graphviz.Digraph:
        """The graph as it stood after this step: this node and its inputs in orange, grads
        shown where computed (`so far` while more is still to come, `?` where none yet).

        Options: `rankdir`, `max_nodes`, `params`, as for `draw_graph`.
        """
        return self.walk.draw(self, **options)

    def _repr_html_(self) -> str:
        """In a notebook: the sentence above the drawing."""
        text = f"<p><b>Step {self.index + 1} of {self.total}</b>: <code>{html.escape(self.explain())}</code></p>"
        try:
            return text + pipe(self.draw(), "svg").decode()
        except (ValueError, FileNotFoundError) as why:
            return text + f"<p><i>(no drawing: {html.escape(str(why))})</i></p>"


class _Walk:
    """What the steps of one backward pass share: the graph, its names and the steps so far."""

    def __init__(self, root: Value, order: list[Value]) -> None:
        self.root = root
        self.order = order
        self.nodes = graph_nodes(root, order)
        self.steps: list[Step] = []

    @cached_property
    def names(self) -> dict[Value, str]:
        return node_names(self.nodes)

    @cached_property
    def last_use(self) -> dict[Value, int]:
        """For each node, the index of the last step that adds to its grad."""
        return {parent: i for i, node in enumerate(self.order) for parent in node.parents}

    def pass_on(self, node: Value) -> Step:
        """`node` gives its gradient to its inputs (exactly as `backward()` does); the record."""
        g = node.grad
        updates = []
        for parent, local in zip(node.parents, node.local_grads):
            added = local * g
            parent.grad += added
            updates.append(Update(parent, local, added, parent.grad))
        step = Step(node, len(self.steps), len(self.order), g, tuple(updates), self)
        self.steps.append(step)
        return step

    def draw(
        self, step: Step, *, rankdir: str = "LR", max_nodes: int = 300, params: Iterable[Value] = ()
    ) -> graphviz.Digraph:
        _checked_nodes(self.root, max_nodes)
        known = {self.root: 1.0}  # the grads as they stood after `step`
        for earlier in self.steps[: step.index + 1]:
            known.update((update.input, update.grad) for update in earlier.updates)

        def grad_text(node: Value) -> str:
            if node not in known:
                return "grad ?"
            done = self.last_use.get(node, -1) <= step.index
            return f"grad {number(known[node])}" + ("" if done else " so far")

        fills = {update.input: HIGHLIGHT_INPUT for update in step.updates}
        fills[step.node] = HIGHLIGHT
        return _digraph(self.root, self.nodes, self.names, grad_text=grad_text, fills=fills, rankdir=rankdir,
                        params=set(params))


def backward_steps(root: Value) -> Iterator[Step]:
    """Do `root.backward()` one node at a time, yielding a Step after each node has passed
    its gradient on to its inputs.

    The order and the arithmetic are those of `backward()`, so a yielded step's node has its
    final grad, and after the last step every grad is what `backward()` gives (grads
    accumulate across calls the same way).  The output's grad is seeded with 1.0 before the
    first step; leaves yield no step.  A node whose grad is 0 still gets its step, adding
    zeros (`backward()` skips that work; the grads come out the same), so a learner sees
    where the gradient stopped.

    The last step is yielded after the pass is complete, so stopping there leaves nothing
    half done.  A walk abandoned earlier (`break`, `.close()`, or dropping the generator)
    puts every grad of the graph back as it was before the walk began, so that a later
    `backward()` counts nothing twice.  Do not change the graph or call `backward()` on it
    during a walk.
    """
    order = backward_order(root)
    walk = _Walk(root, order)
    before = [(node, node.grad) for node in walk.nodes]
    finished = False
    try:
        with _fresh_grads(order):
            root.grad = 1.0 if order else root.grad + 1.0
            for node in order[:-1]:
                yield walk.pass_on(node)
            last = walk.pass_on(order[-1]) if order else None
        finished = True
        if last is not None:
            yield last
    finally:
        if not finished:
            for node, grad in before:
                node.grad = grad


class Stepper:
    """A backward pass to browse in a notebook: Previous / Next, the drawing and the sentence.

    Creating one runs the whole pass, as `root.backward()` does (grads accumulate).  With
    ipywidgets installed (`pip install 'stepgrad[widgets]'`) it displays as buttons;
    without, as every step one after another.
    """

    def __init__(self, root: Value) -> None:
        self.root = root
        self.steps = list(backward_steps(root))
        self.index = 0

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return "\n".join(f"{step.index + 1}. {step.explain()}" for step in self.steps) or "no steps: the output is a leaf"

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        try:
            widget = self.widget()
        except ImportError:
            display(HTML("".join(step._repr_html_() for step in self.steps)) if self.steps else repr(self))
            return
        display(widget)

    def widget(self) -> ipywidgets.VBox:
        """Previous / Next buttons above the current step (needs ipywidgets)."""
        import ipywidgets

        previous = ipywidgets.Button(description="Previous", icon="arrow-left")
        next_ = ipywidgets.Button(description="Next", icon="arrow-right")
        view = ipywidgets.HTML()

        def show(index: int) -> None:
            self.index = index
            previous.disabled = index <= 0
            next_.disabled = index >= len(self.steps) - 1
            view.value = self.steps[index]._repr_html_() if self.steps else html.escape(repr(self))

        previous.on_click(lambda _: show(self.index - 1))
        next_.on_click(lambda _: show(self.index + 1))
        show(self.index)
        return ipywidgets.VBox([ipywidgets.HBox([previous, next_]), view])


# ---- the sentences ----


def sentence(step: Step, names: dict[Value, str]) -> str:
    """`o = tanh(n): do/dn = 1 - o**2 = 0.5000; n.grad += 0.5000 * o.grad (1.0000) = 0.5000`.

    One clause per input, its slope as the op's table entry writes it; a fused node with
    many inputs lists the first few and summarises the rest.
    """
    node, o = step.node, names[step.node]
    entry = lookup(node.op)
    clauses = []
    for update, slope in zip(step.updates, entry.slope_texts(node, names)):
        name = names[update.input]
        value = number(update.local)
        text = f"d{o}/d{name} = {value if _is_number(slope) else f'{slope} = {value}'}; "
        text += f"{name}.grad += {value} * {o}.grad ({number(step.grad)}) = {number(update.added)}"
        clauses.append(text + ("" if update.grad == update.added else f", now {number(update.grad)}"))
    if len(clauses) > LISTED and entry.summary:
        clauses[3:] = [f"and {len(clauses) - 3} more like these ({entry.summary.format(out=o)})"]
    return f"{o} = {entry.formula_text(node, names)}: " + "; ".join(clauses)


def formula(node: Value, names: dict[Value, str]) -> str:
    """The right-hand side of `node = ...`, in its inputs' names: `x1 * w1`, `tanh(n)`."""
    return lookup(node.op).formula_text(node, names)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
