"""The table of operations: everything the project knows about each operation, in one entry.

A node stores only its op code (`node.op`), its `parents`, its `local_grads` and, for ops
given plain numbers, those numbers (`node.const`).  Everything else lives in the op's `Op`
entry in `OPS`: the function that computes the node (its result and local derivatives as
numbers), the formula and the slopes as text for the step-by-step sentences, the label of
its drawing, whether `stepgrad explain` offers it, and its rule over a whole batch for
`autograd.compile` (`batched`, filled in by `autograd/batched.py`).  Drawing, stepping,
explaining, compiling and the property tests all read this table, so an operation is added
in one place (`autograd.operation` for your own).

Texts are templates filled with names: `{out}` is the node, the names in `inputs` (`{x}`,
or `{a}` and `{b}`) its parent Values in order, the names in `const` its plain numbers.
N-ary ops (sum, max, weighted sums) give functions instead: `formula(node, names)`,
`slopes(node, names)`, `label(node)`.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Protocol, Sequence, Union


class Node(Protocol):
    """What the table reads of a node (an `autograd.Value`): the table is the ground floor,
    so it knows the node by its shape, not by importing it."""

    data: float
    op: str
    const: Any
    parents: Sequence[Node]
    local_grads: Sequence[float]


Names = Mapping[Node, str]
Formula = Union[str, Callable[[Node, Names], str]]
Slopes = Union[tuple[str, ...], Callable[[Node, Names], list[str]]]
Label = Union[str, Callable[[Node], str]]


@dataclass(frozen=True)
class Batched:
    """An op's rule over a batch, for `autograd.compile` (NumPy arrays, one column per example).

    `elementwise` (most ops, and yours): `rule(*inputs, *constants)` takes one array per
    input Value and per plain number of the op, and returns the result and the local
    derivative(s), as the scalar rule does: `lambda x: (np.tanh(x), 1 - np.tanh(x)**2)`.
    Otherwise (the n-ary ops) `rule(P, c)` takes the parents' values stacked, shape (G, k, B),
    and the constants, shape (G, m, 1), and returns results (G, B) and slopes broadcastable
    to (G, k, B).  `constants(node)` reads a traced node's plain numbers; by default its
    `const` as the entry names it (none, or one number).
    """

    rule: Callable[..., Any]
    constants: Callable[[Node], tuple[float, ...]] | None = None
    elementwise: bool = True

    def constants_of(self, node: Node) -> tuple[float, ...]:
        if self.constants is not None:
            return self.constants(node)
        return () if node.const is None else (node.const,)


@dataclass(frozen=True)
class Op:
    """One operation: how it computes, and how it is written, drawn and explained.

    `forward` is the function that makes such a node (`Value.tanh`, `Value.__mul__`...).
    `inputs` names the parent Values for the templates, one per input (None: any number,
    texts are functions); `const` names the plain numbers kept in `node.const` (one name:
    `node.const` is that number; several: a tuple in that order).  `ordered` labels a
    drawing's edges with the input names where their order matters (`a - b`).  `weights`
    gives the indices of the parents that are a layer's weights (a fused weighted sum's), which
    a step with many inputs folds away behind `summary`, their rule; the other inputs' clauses
    are always shown, since they carry the gradient down a layer or back in time.  `batched`
    is its rule over a batch (None: `autograd.compile` refuses the op, naming it).
    """

    code: str
    slopes: Slopes
    formula: Formula = ""
    label: Label = ""
    inputs: tuple[str, ...] | None = ("x",)
    const: tuple[str, ...] = ()
    ordered: bool = True
    summary: str = ""
    weights: Callable[[Node], range] | None = None
    explain: bool = False
    forward: Callable[..., Node] | None = None
    batched: Batched | None = None

    def __post_init__(self) -> None:
        if not self.code or not isinstance(self.code, str):
            raise ValueError(f"operation: the op code must be a non-empty str, got {self.code!r}")
        if self.inputs is None:
            for what in ("formula", "slopes", "label"):
                if not callable(getattr(self, what)):
                    raise ValueError(f"operation {self.code!r}: with any number of inputs, its {what} "
                                     "must be a function of the node")
            return
        if not self.formula:
            object.__setattr__(self, "formula", f"{self.code}({', '.join('{%s}' % i for i in self.inputs)})")
        if not self.label:
            object.__setattr__(self, "label", self.code)
        fields = {"out", *self.inputs, *self.const}
        if isinstance(self.slopes, str) or not callable(self.slopes) and len(self.slopes) != len(self.inputs):
            raise ValueError(f"operation {self.code!r}: needs one slope per input ({', '.join(self.inputs)}), "
                             f"got {self.slopes!r}")
        templates = [("formula", self.formula), ("label", self.label)]
        templates += [] if callable(self.slopes) else [("slope", s) for s in self.slopes]
        for what, template in templates:
            if isinstance(template, str):
                allowed = set(self.const) if what == "label" else fields
                _check_template(self.code, what, template, allowed)

    # ---- the texts of one node ----

    def formula_text(self, node: Node, names: Names) -> str:
        """The right-hand side of `node = ...` in its inputs' names: `x1 * w1`, `tanh(n)`."""
        if callable(self.formula):
            return self.formula(node, names)
        return self.formula.format(**self._fields(node, names))

    def slope_texts(self, node: Node, names: Names) -> list[str]:
        """d(node)/d(input) for each input, as a formula in names (`1 - o**2`, `w1`, `1`)."""
        if callable(self.slopes):
            return self.slopes(node, names)
        fields = self._fields(node, names)
        return [slope.format(**fields) for slope in self.slopes]

    def label_text(self, node: Node) -> str:
        """The text of the operation's own node in a drawing: `+`, `tanh`, `* 2`, `a - b`."""
        if callable(self.label):
            return self.label(node)
        return self.label.format(**self._constants(node))

    def edge_labels(self, node: Node) -> tuple[str | None, ...]:
        """What to write on each edge into the operation: the input names where order matters."""
        if self.ordered and self.inputs is not None and len(self.inputs) > 1:
            return self.inputs
        return (None,) * len(node.parents)

    def _fields(self, node: Node, names: Names) -> dict[str, str]:
        inputs = self.inputs or ()
        return {"out": names[node], **{i: names[p] for i, p in zip(inputs, node.parents)}, **self._constants(node)}

    def _constants(self, node: Node) -> dict[str, str]:
        if len(self.const) == 1:
            return {self.const[0]: compact(node.const)}
        return {name: compact(c) for name, c in zip(self.const, node.const or ())}


def _check_template(code: str, what: str, template: str, allowed: set[str]) -> None:
    """A template that names only fields the op has, or a ValueError naming the op."""
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as why:
        raise ValueError(f"operation {code!r}: its {what} {template!r} is not a valid template ({why})") from None
    unknown = used - allowed
    if unknown:
        raise ValueError(f"operation {code!r}: its {what} {template!r} uses {{{sorted(unknown)[0]}}}; "
                         f"it may use {', '.join('{%s}' % f for f in sorted(allowed)) or 'no names'}")


OPS: dict[str, Op] = {}  # op code -> entry; `define` and `autograd.operation` add to it


def define(*entries: Op) -> Callable[[Callable[..., Node]], Callable[..., Node]]:
    """Decorator: put `entries` in the table, with the decorated function as their forward.

    The function is returned unchanged, so a method stays exactly as fast as without it.
    """

    def register(forward: Callable[..., Node]) -> Callable[..., Node]:
        for entry in entries:
            OPS[entry.code] = replace(entry, forward=forward)
        return forward

    return register


def batched(code: str, *, constants: Callable[[Node], tuple[float, ...]] | None = None,
            elementwise: bool = True) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: the decorated function becomes op `code`'s rule over a batch (see `Batched`),
    in its entry of the table: `defvjp`-style, the rules fill the entries the ops made."""

    def register(rule: Callable[..., Any]) -> Callable[..., Any]:
        OPS[code] = replace(lookup(code), batched=Batched(rule, constants, elementwise))
        return rule

    return register


def lookup(code: str) -> Op:
    """The table's entry for op code `code`, or a LookupError saying how to add one."""
    try:
        return OPS[code]
    except KeyError:
        raise LookupError(
            f"operation {code!r} is not in the table of operations (autograd.OPS), so it cannot be "
            f"drawn, stepped or explained: register it with autograd.operation(...)"
        ) from None


class _Explained(Mapping):
    """The functions `stepgrad explain` offers, by name: the table's ops with `explain=True`,
    read at each use so an op registered later is offered too."""

    def __getitem__(self, code: str) -> Callable[..., Node]:
        entry = OPS.get(code)
        if entry is None or not entry.explain or entry.forward is None:
            raise KeyError(code)
        return entry.forward

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(code for code, entry in OPS.items() if entry.explain and entry.forward))

    def __len__(self) -> int:
        return sum(1 for _ in self)


explained: Mapping[str, Callable[..., Node]] = _Explained()


def compact(x: float | None) -> str:
    """A plain number as it would be typed: 2, 0.5, -3, inf ("None" where the node has none)."""
    return "None" if x is None else f"{x:g}"


def terms(texts: list[str], joiner: str = " + ") -> str:
    """`a + b + c`, or the first two, the last and how many, when there are more than four."""
    if len(texts) <= 4:
        return joiner.join(texts)
    return f"{texts[0]}{joiner}{texts[1]}{joiner}...{joiner}{texts[-1]} ({len(texts)} terms)"
