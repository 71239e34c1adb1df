"""Backprop one node at a time: `backward_steps`, the `Step`s it yields, and `Stepper`.

`backward()` runs the chain rule in one go.  Here the same pass is cut into steps, one per
node, and each step can say what it did in a sentence (`step.explain()`) and show the
graph as it stood at that moment (`step.draw()`).  A `Stepper` browses the steps in a
notebook, or saves them as one web page (`save_html`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple, Union

from . import texts
from .draw import (
    HIGHLIGHT,
    HIGHLIGHT_INPUT,
    PARAMETER,
    Params,
    checked_nodes,
    digraph,
    graph_nodes,
    node_names,
    number,
    parameter_names,
    parameter_values,
)
from .i18n import speaking
from .ops import lookup
from .value import Value, accumulated, backward_order, pass_gradient

if TYPE_CHECKING:
    import graphviz
    import ipywidgets

LISTED = 12  # a step with more updates than this folds its weights' clauses (never its inputs')
IDENTITIES = frozenset({"+c", "c+", "-c", "*c", "c*", "/c", "sum", "max", "min"})  # pass a grad on unchanged when trivial
TOLERANCE = (1e-3, 1e-3)  # a quiz answer is right within max(absolute, relative * |answer|)


class Update(NamedTuple):
    """What one input received in a step: `input.grad += local * node.grad`."""

    input: Value
    local: float  # d(node)/d(input), stored by the forward pass
    added: float  # local * node.grad
    grad: float  # input.grad right after the addition


class Question(NamedTuple):
    """What the quiz asks at a step, about one of its inputs: the local derivative and the new grad."""

    input: Value
    name: str  # the input's name
    local: float
    grad: float  # input.grad right after the step
    before: float  # input.grad just before it
    slope: str  # the rule, as the op's table writes it (`1 - o**2`)

    def check(self, local: float, grad: float) -> bool:
        """Both answers within the stated tolerance (`TOLERANCE`)."""
        return close(local, self.local) and close(grad, self.grad)


def close(answer: float, expected: float) -> bool:
    absolute, relative = TOLERANCE
    return math.isfinite(answer) and abs(answer - expected) <= max(absolute, relative * abs(expected))


@dataclass(frozen=True, eq=False)
class _Frame:
    """What a step of either pass has: its node, and its place among `total` (from 0)."""

    node: Value
    index: int
    total: int
    if TYPE_CHECKING:  # each kind declares it last, after its own fields
        walk: Walk

    @property
    def lang(self) -> str | None:
        """The language of its sentences and drawings: its Stepper's (None: the language in force)."""
        return self.walk.lang


@dataclass(frozen=True, eq=False)
class Step(_Frame):
    """One node passing its gradient on to its inputs.

    `index` counts from 0 in the order of `backward()`, up to `total - 1`; `grad` is the
    node's grad, final by now, which every update multiplied.
    """

    grad: float
    updates: tuple[Update, ...]
    walk: Walk = field(repr=False)

    @speaking
    def explain(self) -> str:
        """The chain rule at this node in one sentence, with the numbers."""
        return sentence(self, self.walk.names)

    @speaking
    def chain_rule(self) -> str:
        """The rule this step applies, in words: local slope times the gradient from above."""
        o, out = self.walk.names[self.node], self.walk.names[self.walk.root]
        if self.node is self.walk.root:
            return texts.chain_rule_first(out)
        return texts.chain_rule(out, o, number(self.grad))

    def is_identity(self) -> bool:
        """A step that teaches nothing: `x * 1`, `x + 0`, a sum of one term (the grad passes on unchanged)."""
        if len(self.updates) != 1 or self.node.op not in IDENTITIES:
            return False
        (update,) = self.updates
        return update.local == 1.0 and self.node.data == update.input.data

    def question(self) -> Question:
        """The quiz's question: the input the gradient flows on through (an inner node or an
        input before a weight), else the first."""
        weights = set(_weight_indices(self.node))
        chosen = next((i for i, u in enumerate(self.updates) if u.input.parents and i not in weights),
                      next((i for i in range(len(self.updates)) if i not in weights), 0))
        update = self.updates[chosen]
        slope = lookup(self.node.op).slope_texts(self.node, self.walk.names)[chosen]
        return Question(update.input, self.walk.names[update.input], update.local, update.grad,
                        update.grad - update.added, slope)

    @speaking
    def draw(self, **options: Any) -> graphviz.Digraph:
        """The graph as it stood after this step: this node and its inputs in orange, each
        edge into this node labelled with its local derivative, grads shown where computed
        (`so far` while more is still to come, `?` where none yet).

        Options: `rankdir`, `max_nodes`, `params`, as for `draw_graph`.
        """
        return self.walk.draw(self, **options)

    @speaking
    def focus(self, *, before: bool = False, rankdir: str = "LR", narrow: bool = False) -> graphviz.Digraph:
        """The close-up of this step: the node, its inputs (a long step's weights folded into
        one box) and the nodes it feeds, at reading size whatever the graph's size.  With
        `before`, the grads as they stood just before the step (for the quiz), no slopes;
        `narrow`, one box under another, for a phone (`rankdir` is then ignored)."""
        return self.walk.focus(self, before=before, rankdir=rankdir, narrow=narrow)


@dataclass(frozen=True, eq=False)
class ForwardStep(_Frame):
    """One node of the forward pass computed from its inputs (which are known by then)."""

    walk: Walk = field(repr=False)

    @speaking
    def explain(self) -> str:
        names = self.walk.names
        return texts.forward_sentence(names[self.node], formula(self.node, names), number(self.node.data))

    @speaking
    def focus(self, *, rankdir: str = "LR", narrow: bool = False) -> graphviz.Digraph:
        """The node and its inputs, every value computed so far shown (`?` for the rest);
        `narrow`, one box under another, for a phone."""
        return self.walk.focus(self, rankdir=rankdir, narrow=narrow)


Frame = Union[ForwardStep, Step, None]  # None: the final table of gradients


class Walk:
    """What the steps of one backward pass share: the graph, its names and the steps so far."""

    def __init__(self, root: Value, order: list[Value], params: Params) -> None:
        self.root = root
        self.order = order
        self.nodes = graph_nodes(root, order)
        self.params = params
        self.lang: str | None = None  # of the sentences and drawings (a Stepper sets its own; None: the one in force)
        self.steps: list[Step] = []

    @cached_property
    def names(self) -> dict[Value, str]:
        return node_names(self.nodes, parameter_names(self.params))

    @cached_property
    def ids(self) -> dict[Value, str]:
        """Each node's id in the drawings, the same in the close-ups and the whole graph."""
        return {node: f"n{i}" for i, node in enumerate(self.nodes)}

    @cached_property
    def parameters(self) -> set[Value]:
        return parameter_values(self.params)

    @cached_property
    def last_use(self) -> dict[Value, int]:
        """For each node, the index of the last step that adds to its grad."""
        return {parent: i for i, node in enumerate(self.order) for parent in node.parents}

    @cached_property
    def users(self) -> dict[Value, list[Value]]:
        """For each node, the nodes computed from it, in graph order."""
        users: dict[Value, list[Value]] = {}
        for node in self.nodes:
            for parent in dict.fromkeys(node.parents):
                users.setdefault(parent, []).append(node)
        return users

    def grads_after(self, index: int) -> dict[Value, float]:
        """The grads as they stood after step `index` (-1: before the first)."""
        known = {self.root: 1.0}
        for earlier in self.steps[: index + 1]:
            known.update((update.input, update.grad) for update in earlier.updates)
        return known

    def grad_text(self, index: int):  # noqa: ANN201 - a GradText
        known = self.grads_after(index)

        def grad_text(node: Value) -> str:
            if node not in known:
                return texts.grad_label(None, False)
            done = self.last_use.get(node, -1) <= index
            return texts.grad_label(number(known[node]), done)

        return grad_text

    def draw(self, step: Step, *, rankdir: str = "LR", max_nodes: int = 300, params: Params | None = None
             ) -> graphviz.Digraph:
        checked_nodes(self.root, max_nodes)
        fills = {update.input: HIGHLIGHT_INPUT for update in step.updates}
        fills[step.node] = HIGHLIGHT
        return digraph(self.root, self.nodes, self.names, grad_text=self.grad_text(step.index), fills=fills,
                       rankdir=rankdir, params=parameter_values(self.params if params is None else params),
                       edge_labels=self.slopes(step))

    def slopes(self, step: Step) -> dict[tuple[Value, int], str]:
        o = self.names[step.node]
        return {(step.node, i): f"d{o}/d{self.names[update.input]} = {number(update.local)}"
                for i, update in enumerate(step.updates)}

    def focus(self, frame: Step | ForwardStep, *, before: bool = False, rankdir: str = "LR", narrow: bool = False
              ) -> graphviz.Digraph:
        node = frame.node
        fold = folded(node)
        shown = [parent for i, parent in enumerate(node.parents) if i not in fold]
        fills = dict.fromkeys(shown, HIGHLIGHT_INPUT)
        fills[node] = HIGHLIGHT
        folds = {}
        if fold:
            weights = [node.parents[i] for i in fold]
            folds[node] = (list(fold), texts.folded_weights(len(weights), self.names[weights[0]], self.names[weights[-1]]))
        if isinstance(frame, ForwardStep):
            computed = {n for n in self.nodes if not n.parents} | set(self.order[len(self.order) - frame.index - 1:])
            nodes = [n for n in self.nodes if n in set(shown) or n is node]
            return digraph(self.root, nodes, self.names, grad_text=lambda n: None, fills=fills, rankdir=rankdir,
                           params=self.parameters, ids=self.ids, expand={node}, fold=folds, stacked=True,
                           column=narrow, data_text=lambda n: number(n.data) if n in computed else "?")
        users = self.users.get(node, [])
        wanted = set(shown) | {node} | set(users)
        nodes = [n for n in self.nodes if n in wanted]
        index = frame.index - 1 if before else frame.index
        return digraph(self.root, nodes, self.names, grad_text=self.grad_text(index), fills=fills, rankdir=rankdir,
                       params=self.parameters, ids=self.ids, expand={node, *users}, fold=folds, stacked=True,
                       column=narrow, edge_labels=None if before else self.slopes(frame))

    def pass_on(self, node: Value) -> Step:
        """`node` gives its gradient to its inputs by `pass_gradient`, as in `backward()`;
        the record of what each input received (an input used twice, as in x*x, twice)."""
        g = node.grad
        before = [parent.grad for parent in node.parents]
        pass_gradient(node)
        grads: dict[Value, float] = {}  # each input's grad right after its own addition, as pass_gradient summed
        updates = []
        for parent, local, earlier in zip(node.parents, node.local_grads, before):
            added = local * g
            grads[parent] = grads.get(parent, earlier) + added
            updates.append(Update(parent, local, added, grads[parent]))
        step = Step(node, len(self.steps), len(self.order), g, tuple(updates), self)
        self.steps.append(step)
        return step


def backward_steps(root: Value, *, params: Params = ()) -> Iterator[Step]:
    """Do `root.backward()` one node at a time, yielding a Step after each node has passed
    its gradient on to its inputs.

    The order and the arithmetic are those of `backward()`, so a yielded step's node has its
    final grad.  The output's grad is seeded with 1.0 before the first step; leaves yield no
    step.  A node whose grad is 0 still gets its step, adding zeros (`backward()` skips that
    work; the grads come out the same), so a learner sees where the gradient stopped.

    Safe to run again: the steps show this pass alone, the same sentences and numbers as on
    a fresh graph, even if the graph already has grads (from an earlier `backward()` or
    walk).  Once the pass is complete, those earlier grads are added back, so every grad ends
    as `backward()` would leave it: accumulated.  The last step is yielded after that, so
    stopping there leaves nothing half done.  A walk abandoned earlier (`break`, `.close()`,
    or dropping the generator) puts every grad back as it was before the walk began.  Do not
    change the graph or call `backward()` on it during a walk.

    `params` (a network, or its parameters) names and colours parameters in the sentences
    and drawings, as for `draw_graph`.
    """
    order = backward_order(root)
    walk = Walk(root, order, params)
    before = [(node, node.grad) for node in walk.nodes]
    finished = False
    try:
        if not order:
            root.grad += 1.0  # a leaf output: nothing to step through
            finished = True
            return
        for node, _ in before:
            node.grad = 0.0  # this pass alone, as on a fresh graph
        root.grad = 1.0
        for node in order[:-1]:
            yield walk.pass_on(node)
        last = walk.pass_on(order[-1])
        _add_back(before, walk.steps)
        finished = True
        yield last
    finally:
        if not finished:
            for node, grad in before:
                node.grad = grad


def _add_back(before: list[tuple[Value, float]], steps: list[Step]) -> None:
    """Add the grads from before a walk to its pass, bit for bit as `backward()` would have:
    an inner node gets its earlier grad added to this pass's, a leaf its additions replayed
    onto its earlier grad (`backward()` adds into leaves directly, skipping zero grads)."""
    for node, grad in before:
        node.grad = accumulated(node, grad) if node.parents else grad
    for step in steps:
        if step.grad:
            for update in step.updates:
                if not update.input.parents:
                    update.input.grad = accumulated(update.input, update.added)


# ---- the sentences ----


def sentence(step: Step, names: dict[Value, str]) -> str:
    """`o = tanh(n): do/dn = 1 - o**2 = 0.5000; n.grad += 0.5000 * o.grad (1.0000) = 0.5000`.

    One clause per input, its slope as the op's table entry writes it; a fused weighted sum
    with many inputs shows every input's clause and folds its weights' into one.
    """
    head, clauses, weights, rule = sentence_parts(step, names)
    if weights:
        clauses = clauses + [texts.folded_clauses(len(weights), rule)]
    return f"{head} " + "; ".join(clauses)


def sentence_parts(step: Step, names: dict[Value, str]) -> tuple[str, list[str], list[str], str]:
    """The sentence as its head, `o = tanh(n):`, the clauses always shown (shown a line each),
    the weights' clauses a long step folds ([] if none) and their rule."""
    node, o = step.node, names[step.node]
    entry = lookup(node.op)
    fold = folded(node)
    shown, weights = [], []
    for i, (update, slope) in enumerate(zip(step.updates, entry.slope_texts(node, names))):
        value = number(update.local)
        now = None if update.grad == update.added else number(update.grad)
        text = texts.backward_clause(o, names[update.input], _with_slope(value, slope), value, number(step.grad),
                                     number(update.added), now)
        (weights if i in fold else shown).append(text)
    return f"{o} = {entry.formula_text(node, names)}:", shown, weights, entry.summary.format(out=o)


def folded(node: Value) -> range:
    """The indices of the parents a long step folds: a weighted sum's weights, past `LISTED` inputs."""
    weights = lookup(node.op).weights
    return weights(node) if weights and len(node.parents) > LISTED else range(0)


def _weight_indices(node: Value) -> range:
    weights = lookup(node.op).weights
    return weights(node) if weights else range(0)


def formula(node: Value, names: dict[Value, str]) -> str:
    """The right-hand side of `node = ...`, in its inputs' names: `x1 * w1`, `tanh(n)`."""
    return lookup(node.op).formula_text(node, names)


def _with_slope(value: str, slope: str) -> str:
    """The local slope's number with its formula: `z = 2.0000`; a rule with cases (relu's
    `1 if x > 0 else 0`) after the number, in brackets, so it does not read as `0 = 1.0000`."""
    if _is_number(slope):
        return value
    return f"{value} ({slope})" if " if " in slope else f"{slope} = {value}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
