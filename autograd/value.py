"""The `Value` node, the operations it supports, and `backward()`.

Every operation computes its result and, right beside it, the local derivative of the
result with respect to each input.  Those numbers are stored on the new node
(`local_grads`, in the same order as `parents`), so `backward()` only has to multiply and
add: there are no per-node closures, and stepping through backprop can show every factor
of the chain rule.  Above each operation, `define` gives its entry in the table of
operations (`autograd/ops.py`): how it is written, drawn and explained.  `operation` adds
your own.
"""

from __future__ import annotations

import builtins
import gc
import math
import numbers
import operator
import sys
import threading
from contextvars import ContextVar, Token
from fractions import Fraction
from operator import mul
from typing import Callable, Iterable, Sequence, Union

from .ops import OPS, Batched, Names, Op, compact, define, terms

Number = Union[int, float]
Operand = Union["Value", Number]


def _power_slopes(node: Value, names: Names) -> list[str]:
    """The slope of `x ** c` as it simplifies: `3*x**2`, and `2*x` for a square."""
    c = node.const
    return [f"{compact(c)}*{names[node.parents[0]]}" + ("" if c == 2 else f"**{compact(c - 1)}")]


class Value:
    """A scalar in a computation graph: its value, its gradient and how it was computed.

    `op` is the code of the operation that made it (its entry in `autograd.OPS` says how
    to write, draw and explain it; "" for a leaf), `parents` are the Values it was computed
    from and `local_grads` the partial derivative of this node with respect to each of them.
    `const` holds the plain numbers the operation was given besides its Values, named by
    the entry's `const`: the c of `x * c`, the slope of `leaky_relu`, the total of a sum's
    plain terms, clamp's (lo, hi), a first layer's inputs; None if there are none.

    Every result and every local derivative is a finite float: where one would overflow,
    the operation raises OverflowError naming itself, so no inf or NaN enters a graph.
    """

    __slots__ = ("data", "grad", "label", "op", "const", "parents", "local_grads")

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(Message("Value: label must be a str, got {type} {label!r}", type=type(label).__name__, label=label))
        self.data = real_number(data, "Value")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.const = None
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"

    # ---- the operations: each method computes the result and its local derivative(s), and
    # the `define` above it puts its entry in the table: how it is written, drawn, explained

    @define(Op("+", formula="{a} + {b}", slopes=("1", "1"), inputs=("a", "b"), label="+", ordered=False),
            Op("+c", formula="{x} + {c}", slopes=("1",), const=("c",), label="+ {c}"))
    def __add__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _node(self.data + other.data, "+", (self, other), (1.0, 1.0))
        c = _constant(other, "+")
        return _node(self.data + c, "+c", (self,), (1.0,), c)

    @define(Op("-", formula="{a} - {b}", slopes=("1", "-1"), inputs=("a", "b"), label="a - b"),
            Op("-c", formula="{x} - {c}", slopes=("1",), const=("c",), label="- {c}"))
    def __sub__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _node(self.data - other.data, "-", (self, other), (1.0, -1.0))
        c = _constant(other, "-")
        return _node(self.data - c, "-c", (self,), (1.0,), c)

    @define(Op("*", formula="{a} * {b}", slopes=("{b}", "{a}"), inputs=("a", "b"), label="*", ordered=False),
            Op("*c", formula="{x} * {c}", slopes=("{c}",), const=("c",), label="* {c}"))
    def __mul__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _node(self.data * other.data, "*", (self, other), (other.data, self.data))
        c = _constant(other, "*")
        return _node(self.data * c, "*c", (self,), (c,), c)

    @define(Op("/", formula="{a} / {b}", slopes=("1/{b}", "-{a}/{b}**2"), inputs=("a", "b"), label="a / b"),
            Op("/c", formula="{x} / {c}", slopes=("1/{c}",), const=("c",), label="/ {c}"))
    def __truediv__(self, other: Operand) -> Value:
        if type(other) is Value:
            y = _nonzero(other.data, self.data)
            q = self.data / y
            return _node(q, "/", (self, other), (_slope(1.0 / y, "/", y), _slope(-q / y, "/", y)))
        c = _nonzero(_constant(other, "/"), self.data)
        return _node(self.data / c, "/c", (self,), (_slope(1.0 / c, "/", c),), c)

    @define(Op("**", formula="{a} ** {b}", slopes=("{b}*{a}**({b} - 1)", "{out}*log({a})"), inputs=("a", "b"),
               label="a ** b"),
            Op("**c", formula="{x} ** {c}", slopes=_power_slopes, const=("c",),
               label="** {c}"))
    def __pow__(self, other: Operand) -> Value:
        x = self.data
        if type(other) is Value:  # d/dy x**y = x**y * ln(x) needs x > 0
            y = other.data
            if x == 0 and y > 0:  # as PyTorch and HIPS autograd: 0**y = 0, d/dy = 0
                if y < 1:
                    raise ValueError(Message("pow: the slope of x**{n!r} is infinite at x = 0.0", n=y))
                return _node(0.0, "**", (self, other), (1.0 if y == 1 else 0.0, 0.0))
            out = _power(_positive_base(x), y)
            return _node(out, "**", (self, other), (_slope(_times_power(y, x, y - 1), "pow", x),
                                                    _slope(out * math.log(x), "pow", x)))
        n = _constant(other, "**")
        out = _power(x, n)
        if x == 0 and 0 < n < 1:
            raise ValueError(Message("pow: the slope of x**{n!r} is infinite at x = 0.0", n=n))
        return _node(out, "**c", (self,), (_slope(_times_power(n, x, n - 1), "pow", x),), n)

    @define(Op("neg", formula="-{x}", slopes=("-1",)))
    def __neg__(self) -> Value:
        return _node(-self.data, "neg", (self,), (-1.0,))

    @define(Op("abs", slopes=("sign({x})",), explain=True))
    def __abs__(self) -> Value:
        x = self.data
        return _node(abs(x), "abs", (self,), (1.0 if x > 0 else -1.0 if x < 0 else 0.0,))

    @define(Op("exp", slopes=("{out}",), explain=True))
    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(Message("exp: overflow at x = {x!r} (e**x exceeds the float range)", x=self.data)) from None
        return _node(e, "exp", (self,), (e,))

    @define(Op("log", slopes=("1/{x}",), explain=True))
    def log(self) -> Value:
        x = self.data
        if x <= 0:
            raise ValueError(Message("log: undefined for x = {x!r} (needs x > 0)", x=x))
        return _node(math.log(x), "log", (self,), (_slope(1.0 / x, "log", x),))

    @define(Op("sqrt", slopes=("1/(2*{out})",), explain=True))
    def sqrt(self) -> Value:
        x = self.data
        if x < 0:
            raise ValueError(Message("sqrt: undefined for x = {x!r} (needs x >= 0)", x=x))
        if x == 0:
            raise ValueError(Message("sqrt: the slope is infinite at x = 0.0 (derivative 1 / (2*sqrt(x)))"))
        r = math.sqrt(x)
        return _node(r, "sqrt", (self,), (0.5 / r,))

    @define(Op("tanh", slopes=("1 - {out}**2",), explain=True))
    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return _node(t, "tanh", (self,), (1.0 - t * t,))

    @define(Op("sigmoid", slopes=("{out}*(1 - {out})",), explain=True))
    def sigmoid(self) -> Value:
        x = self.data
        if x >= 0:  # two forms, so exp never overflows
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, "sigmoid", (self,), (s * (1.0 - s),))

    @define(Op("relu", slopes=("1 if {x} > 0 else 0",), explain=True))
    def relu(self) -> Value:
        x = self.data
        return _node(x if x > 0 else 0.0, "relu", (self,), (1.0 if x > 0 else 0.0,))

    @define(Op("leaky_relu", formula="leaky_relu({x}, {slope})", slopes=("1 if {x} > 0 else {slope}",),
               const=("slope",), label="leaky_relu({slope})", explain=True))
    def leaky_relu(self, slope: float = 0.01) -> Value:
        x, a = self.data, _constant(slope, "leaky_relu")
        return _node(x if x > 0 else a * x, "leaky_relu", (self,), (1.0 if x > 0 else a,), a)

    @define(Op("clamp", formula="clamp({x}, {lo}, {hi})", slopes=("1 if {lo} <= {x} <= {hi} else 0",),
               const=("lo", "hi"), label="clamp({lo}, {hi})"))
    def clamp(self, lo: Number | None = None, hi: Number | None = None) -> Value:
        """`x` limited to [lo, hi]; slope 1 inside (ends included, as PyTorch), 0 outside."""
        x = self.data
        low = -math.inf if lo is None else _constant(lo, "clamp")
        high = math.inf if hi is None else _constant(hi, "clamp")
        if low > high:
            raise ValueError(Message("clamp: lo {lo!r} is greater than hi {hi!r}", lo=lo, hi=hi))
        inside = low <= x <= high
        out = x if inside else low if x < low else high
        return _node(out, "clamp", (self,), (1.0 if inside else 0.0,), (low, high))

    def max(self, other: Operand) -> Value:
        """The larger of two: `autograd.max([self, other])`."""
        return max((self, other))

    def min(self, other: Operand) -> Value:
        """The smaller of two: `autograd.min([self, other])`."""
        return min((self, other))

    def detach(self) -> Value:
        """A new leaf with the same data: gradients stop here (truncated backprop through time)."""
        return Value(self.data, self.label)

    # comparisons read `.data` and give a plain bool: they are not differentiable (and inside
    # `autograd.compile`'s trace, refused: a branch on them is a graph that depends on the
    # data).  `==` and hashing stay identity, because graphs keep their nodes in sets and dicts.
    def __lt__(self, other: Operand) -> bool:
        return self.data < _compared(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self.data <= _compared(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self.data > _compared(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _compared(other, ">=")

    __hash__ = object.__hash__

    @define(Op("sin", slopes=("cos({x})",), explain=True))
    def sin(self) -> Value:
        return _node(math.sin(self.data), "sin", (self,), (math.cos(self.data),))

    @define(Op("cos", slopes=("-sin({x})",), explain=True))
    def cos(self) -> Value:
        return _node(math.cos(self.data), "cos", (self,), (-math.sin(self.data),))

    # ---- a plain number on the left: `const` is that number ----

    @define(Op("c+", formula="{c} + {x}", slopes=("1",), const=("c",), label="{c} +"))
    def __radd__(self, other: Number) -> Value:  # c + x, kept in the order it was written
        c = _constant(other, "+")
        return _node(c + self.data, "c+", (self,), (1.0,), c)

    @define(Op("c*", formula="{c} * {x}", slopes=("{c}",), const=("c",), label="{c} *"))
    def __rmul__(self, other: Number) -> Value:  # c * x
        c = _constant(other, "*")
        return _node(c * self.data, "c*", (self,), (c,), c)

    @define(Op("c-", formula="{c} - {x}", slopes=("-1",), const=("c",), label="{c} -"))
    def __rsub__(self, other: Number) -> Value:  # c - x
        c = _constant(other, "-")
        return _node(c - self.data, "c-", (self,), (-1.0,), c)

    @define(Op("c/", formula="{c} / {x}", slopes=("-{c}/{x}**2",), const=("c",), label="{c} /"))
    def __rtruediv__(self, other: Number) -> Value:  # c / x
        c = _constant(other, "/")
        x = _nonzero(self.data, c)
        q = c / x
        return _node(q, "c/", (self,), (_slope(-q / x, "/", x),), c)

    @define(Op("c**", formula="{c} ** {x}", slopes=("{out}*log({c})",), const=("c",), label="{c} **"))
    def __rpow__(self, other: Number) -> Value:  # c ** x
        c = _constant(other, "**")
        if c == 0 and self.data > 0:  # 0**x = 0 for x > 0, and so is its slope
            return _node(0.0, "c**", (self,), (0.0,), c)
        c = _positive_base(c)
        out = _power(c, self.data)
        return _node(out, "c**", (self,), (_slope(out * math.log(c), "pow", self.data),), c)

    # ---- copying and pickling ----

    def __reduce__(self) -> tuple:
        """Pickle and deepcopy without recursion, so a graph of any depth copies.

        A leaf is its fields.  A computed node is a flat table of its graph's computed
        nodes, parents before children, each naming its parents by row (or, for a leaf, by
        the leaf itself, so parameters pickled beside a loss stay the same objects).  A
        computed node pickled beside its graph's output comes back as a copy, not shared.
        """
        if not self.parents:
            return _leaf, (self.data, self.grad, self.label)
        order = backward_order(self)[::-1]
        row = {node: i for i, node in enumerate(order)}
        fields = [name for name in Value.__slots__ if name != "parents"]
        table = [(tuple(getattr(node, name) for name in fields),
                  tuple(row[p] if p.parents else p for p in node.parents)) for node in order]
        return _graph, (tuple(fields), tuple(table))

    # ---- backward ----

    def backward(self) -> None:
        """Add d(self)/d(node) to the `grad` of every node of the graph, as PyTorch does.

        A node reached along several paths gets the sum of its paths; calling `backward()`
        twice adds twice.  Each node passes its gradient on once (`pass_gradient`), after
        every node that uses it has (the order of `backward_order`), so no recursion and
        linear time.

        No inf or NaN enters a grad: a gradient that would overflow raises OverflowError
        naming the operation it passed through (the graph's grads are then partial: zero
        them).  Passes run one at a time (a lock), so threads whose graphs share nodes
        still get exact sums.
        """
        with _backward_lock, gc_paused():
            order = backward_order(self)
            with _fresh_grads(order):
                self.grad = 1.0 if order else self.grad + 1.0
                for node in order:
                    if node.grad:  # a zero gradient (below a dead relu, say) would add only zeros
                        pass_gradient(node)


def _leaf(data: float, grad: float, label: str) -> Value:
    leaf = Value(data, label)
    leaf.grad = grad
    return leaf


def _graph(fields: tuple[str, ...], table: tuple) -> Value:
    """The graph `Value.__reduce__` wrote, rebuilt; returns its last node (the output)."""
    nodes: list[Value] = []
    for values, parents in table:
        node = _new(Value)
        for name, value in zip(fields, values):
            setattr(node, name, value)
        node.parents = tuple(nodes[p] if type(p) is int else p for p in parents)
        nodes.append(node)
    return nodes[-1]


def _grad_overflow(node: Value, parent: Value, local: float, g: float) -> OverflowError:
    """The error for a gradient that stops being finite as `node` passes it to `parent`."""
    return OverflowError(Message(
        "backward: {op}: the gradient it passes to its input {input} is not a finite number: {grad!r} + {local!r} "
        "* {g!r} overflows the float range", op=_op_name(node.op), input=_called(parent), grad=parent.grad, local=local,
        g=g))


def accumulated(node: Value, earlier: float) -> float:
    """`node.grad + earlier`: a grad summed over passes (calling `backward()` again adds), or
    an OverflowError if that sum overflows."""
    total = node.grad + earlier
    if total - total:  # inf or nan
        raise OverflowError(Message("backward: the grad of {node} summed over passes is not a finite number: "
                                       "{earlier!r} + {grad!r} overflows the float range",
                                    node=_called(node), earlier=earlier, grad=node.grad))
    return total


def _called(node: Value) -> str:
    return repr(node.label) if node.label else Message("(data {data!r})", data=node.data)


# ---- fused n-ary operations, for networks: one node instead of 2n ----


def _sum_formula(node: Value, names: Names) -> str:
    text = terms([names[parent] for parent in node.parents])
    return text if node.const is None else f"{text} + {compact(node.const)}"


@define(Op("sum", formula=_sum_formula, slopes=lambda node, names: ["1"] * len(node.parents), inputs=None,
           const=("total",), label=lambda node: "Σ" if node.const is None else f"Σ + {compact(node.const)}"))
def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors torch.sum; not in __all__
    """`sum(v_i)` as a single node (each local derivative is 1); `const` is the total of
    the plain numbers among the terms (None if there are none)."""
    values = list(values)
    parents = tuple(v for v in values if type(v) is Value)
    constants = [_constant(v, "sum") for v in values if type(v) is not Value]
    data = _total([*(v.data for v in parents), *constants], "sum")
    return _node(data, "sum", parents, (1.0,) * len(parents), _total(constants, "sum") if constants else None)


def _extreme_formula(node: Value, names: Names) -> str:
    arguments = [names[parent] for parent in node.parents] + ([] if node.const is None else [compact(node.const)])
    return f"{node.op}({terms(arguments, ', ')})"


def _extreme_slopes(node: Value, names: Names) -> list[str]:
    return [f"1 ({names[parent]} is the {node.op})" if g else "0" for parent, g in zip(node.parents, node.local_grads)]


def _extreme_label(node: Value) -> str:
    return node.op if node.const is None else f"{node.op}(…, {compact(node.const)})"


_EXTREME_TEXTS = dict(formula=_extreme_formula, slopes=_extreme_slopes, label=_extreme_label, inputs=None, const=("c",))


@define(Op("max", **_EXTREME_TEXTS))
def max(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors torch.max; not in __all__
    """The largest of `values` as one node: slope 1 to the first maximal Value, 0 to the rest
    (max pooling routes the gradient to the maximum only).  `const` is the largest plain
    number among them (None if there are none)."""
    return _extreme(values, "max", operator.gt)


@define(Op("min", **_EXTREME_TEXTS))
def min(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors torch.min; not in __all__
    """The smallest of `values` as one node: slope 1 to the first minimal Value, 0 to the rest."""
    return _extreme(values, "min", operator.lt)


def _extreme(values: Iterable[Operand], op: str, beats: Callable[[float, float], bool]) -> Value:
    values = list(values)
    parents = tuple(v for v in values if type(v) is Value)
    if not parents:
        raise ValueError(Message("{op}: needs at least one Value, got {n} plain numbers", op=op, n=len(values)))
    constants = [_constant(v, op) for v in values if type(v) is not Value]
    best = 0
    for i, v in enumerate(parents):
        if beats(v.data, parents[best].data):
            best = i
    data, const = parents[best].data, None
    if constants:
        const = constants[0]
        for c in constants:
            const = c if beats(c, const) else const
        if beats(const, data):
            data, best = const, -1
    grads = tuple(1.0 if i == best else 0.0 for i in range(len(parents)))
    return _node(data, op, parents, grads, const)


def weighted_sum_parts(node: Value) -> tuple[list[Value], list[Value | float], Value | None]:
    """The weights, the inputs (Values, or the plain numbers of a first layer) and the bias
    of a "wsum" or "dot" node: the parents are the weights, then the inputs if they are
    Values (`const` is None), then the bias ("wsum" only); `const` holds plain inputs."""
    bias = node.parents[-1] if node.op == "wsum" else None
    count = len(node.parents) - (bias is not None)
    if node.const is None:
        count //= 2
        return list(node.parents[:count]), list(node.parents[count : 2 * count]), bias
    return list(node.parents[:count]), list(node.const), bias


def _weighted_formula(node: Value, names: Names) -> str:
    weights, inputs, bias = weighted_sum_parts(node)
    products = [f"{names[w]}*{names[x] if type(x) is Value else compact(x)}" for w, x in zip(weights, inputs)]
    return terms(products) + (f" + {names[bias]}" if bias else "")


def _weighted_slopes(node: Value, names: Names) -> list[str]:
    weights, inputs, bias = weighted_sum_parts(node)
    partner = {w: names[x] if type(x) is Value else compact(x) for w, x in zip(weights, inputs)}
    partner.update((x, names[w]) for w, x in zip(weights, inputs) if type(x) is Value)
    return ["1" if parent is bias else partner[parent] for parent in node.parents]


def _weight_indices(node: Value) -> range:
    return range(len(weighted_sum_parts(node)[0]))


_WEIGHTED_TEXTS = dict(formula=_weighted_formula, slopes=_weighted_slopes, inputs=None, const=("inputs",),
                       summary="d{out}/dw_i = x_i", weights=_weight_indices)


@define(Op("wsum", label=lambda node: "Σ w·x + b", **_WEIGHTED_TEXTS),
        Op("dot", label=lambda node: "Σ w·x", **_WEIGHTED_TEXTS))
def weighted_sum(weights: Sequence[Value], inputs: Sequence[Operand], bias: Value | None = None) -> Value:
    """`sum(w_i * x_i) + b` as a single node: a neuron's pre-activation.

    d/dw_i = x_i, d/dx_i = w_i, d/db = 1.  The op is "wsum" with a bias, "dot" without; the
    parents are the weights, then the inputs if they are Values, then the bias
    (`weighted_sum_parts` reads them back).  Plain-number inputs (a first layer) are not
    nodes but the node's `const`; a plain number mixed among Values becomes a leaf.
    """
    if len(weights) != len(inputs):
        raise ValueError(Message("weighted_sum: {weights} weights but {inputs} inputs", weights=len(weights), inputs=len(inputs)))
    if bias is not None and type(bias) is not Value:
        raise TypeError(Message("weighted_sum: bias must be a Value or None, got {type}", type=type(bias).__name__))
    try:
        w_data = [w.data for w in weights]
    except AttributeError:
        kinds = sorted({type(w).__name__ for w in weights if type(w) is not Value})
        raise TypeError(Message("weighted_sum: weights must be Values, got {kinds}", kinds=", ".join(kinds))) from None
    kinds = set(map(type, inputs))
    if Value not in kinds:  # a first layer: the inputs are plain numbers
        fast = kinds <= {float} and all(map(math.isfinite, inputs))
        const = tuple(inputs) if fast else tuple(_constant(x, "weighted_sum") for x in inputs)
        x_data, parents, grads = const, [*weights], [*const]
    else:  # a hidden layer: every input is a node
        if kinds != {Value}:
            inputs = [x if type(x) is Value else Value(_constant(x, "weighted_sum")) for x in inputs]
        x_data, const = [x.data for x in inputs], None
        parents, grads = [*weights, *inputs], [*x_data, *w_data]
    terms = list(map(mul, w_data, x_data))
    if bias is not None:
        terms.append(bias.data)
        parents.append(bias)
        grads.append(1.0)
    op = "dot" if bias is None else "wsum"
    return _node(_total(terms, op), op, tuple(parents), tuple(grads), const)


_ENGINE_OPS = frozenset(OPS)  # the operations above; `operation` adds yours


# ---- your own operations ----

Rule = Callable[..., "tuple[float, float | Sequence[float]]"]


def operation(
    code: str,
    *,
    slopes: Sequence[str],
    formula: str = "",
    label: str = "",
    inputs: Sequence[str] = ("x",),
    explain: bool = False,
    method: bool = True,
    batched: Callable[..., object] | None = None,
) -> Callable[[Rule], Callable[..., Value]]:
    """Decorator: add your own operation to the table, from its rule on plain numbers.

    The decorated function gets the inputs' data as floats and returns the result and the
    local derivative with respect to each input (one number for one input).  `slopes` says
    those derivatives as text, one per input, for the step-by-step sentences: `{x}` is the
    input's name (`{a}`, `{b}`... with `inputs=("a", "b")`), `{out}` the result's.
    `formula` (default `code(x)`) and `label` (default `code`) are how the node is written
    and drawn; `explain=True` offers it to `stepgrad explain`; `method=True` also makes it
    a method, `x.softplus()`.  What you get back builds one node from Values (plain
    numbers become leaves): it back-propagates, draws, steps and gradchecks like any other::

        @operation("softplus", slopes=["sigmoid({x})"],
                   batched=lambda x: (np.logaddexp(0, x), 1 / (1 + np.exp(-x))))
        def softplus(x):
            return math.log1p(math.exp(x)), 1 / (1 + math.exp(-x))

    `batched` is the same rule on NumPy arrays (one per input, every example at once), for
    `autograd.compile`; without it, compiling a graph that uses the op is refused, naming it.

    Registering a code again replaces your earlier entry (re-running a notebook cell); the
    engine's own operations cannot be replaced.
    """
    if code in _ENGINE_OPS:
        raise ValueError(f"operation: {code!r} is one of the engine's operations; pick another name")
    slopes = slopes if isinstance(slopes, str) else tuple(slopes)  # a str is refused by Op: not one per input
    if batched is not None and not callable(batched):
        raise TypeError(f"operation {code!r}: batched must be a function of NumPy arrays, got {shown(batched)}")
    entry = Op(code, slopes=slopes, formula=formula, label=label, inputs=tuple(inputs), explain=explain,
               batched=None if batched is None else Batched(batched))
    if method and (not code.isidentifier() or hasattr(Value, code) and code not in OPS):
        raise ValueError(f"operation: cannot make {code!r} a method of Value (not a name, or one it has); "
                         "pass method=False")

    def register(rule: Rule) -> Callable[..., Value]:
        def apply(*operands: Operand) -> Value:
            if len(operands) != len(entry.inputs):
                raise TypeError(f"{code}: takes {len(entry.inputs)} input(s) ({', '.join(entry.inputs)}), "
                                f"got {len(operands)}")
            parents = tuple(x if type(x) is Value else Value(_constant(x, code)) for x in operands)
            return _apply(rule, entry, parents)

        apply.__name__, apply.__qualname__, apply.__doc__ = code, code, rule.__doc__
        define(entry)(apply)
        if method:
            setattr(Value, code, apply)
        return apply

    return register


def _apply(rule: Rule, entry: Op, parents: tuple[Value, ...]) -> Value:
    """One node of a learner's operation, its rule's numbers checked: finite, one slope per input."""
    code = entry.code
    at = ", ".join(f"{name} = {p.data!r}" for name, p in zip(entry.inputs or (), parents))
    result = rule(*(p.data for p in parents))
    try:
        data, slopes = result
        slopes = tuple(slopes) if isinstance(slopes, (tuple, list)) else (slopes,)
    except (TypeError, ValueError):
        raise TypeError(f"{code}: the rule must return (result, slopes), got {result!r}") from None
    if len(slopes) != len(parents):
        raise TypeError(f"{code}: the rule returned {len(slopes)} slope(s) for {len(parents)} input(s)")
    data = real_number(data, code, f"the result at {at}")
    slopes = tuple(real_number(g, code, f"the slope at {at}") for g in slopes)
    return _node(data, code, parents, slopes)


# ---- building nodes ----


def _node(data: float, op: str, parents: tuple, local_grads: tuple, const: object = None) -> Value:
    """A new non-leaf node, skipping `Value.__init__`'s checks (data is already a float)."""
    if data - data != 0.0:  # inf or nan: the operation overflowed
        _overflow(op, data, parents, const)
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    if _no_grad_users and _grad_off.get():  # a leaf: nothing to read back
        node.op, node.const, node.parents, node.local_grads = "", None, (), ()
    else:
        node.op, node.const, node.parents, node.local_grads = op, const, parents, local_grads
    return node


_new = object.__new__


def _overflow(op: str, data: float, parents: tuple, const: object) -> None:
    op = _op_name(op)
    operands = [repr(p.data) for p in parents] + ([] if const is None else [repr(const)])  # fused sums check first
    raise OverflowError(Message("{op}: the result of {op} on {operands} is {data!r}, not a finite number "
                                   "(it overflows the float range)", op=op, operands=", ".join(operands), data=data))


def _op_name(op: str) -> str:
    """An op code as an error message names it: "*c" (x * c) is "*"."""
    return op if op.isidentifier() else op.replace("c", "")


def _slope(g: float, op: str, x: float) -> float:
    """A local derivative, checked: an infinite slope would silently poison backward()."""
    if g - g != 0.0:
        raise OverflowError(Message("{op}: the slope at {x!r} overflows the float range", op=op, x=x))
    return g


def _times_power(n: float, x: float, m: float) -> float:
    """n * x**m for the slope of a power, inf where x**m overflows (for _slope to report)."""
    if n == 0:
        return 0.0
    try:
        return n * x**m
    except OverflowError:
        return math.inf


class Message(str):
    """An error message translated when it is shown: `ValueError(Message("log: undefined for
    x = {x!r} (needs x > 0)", x=x))`.  As a `str` it is the English (what `e.args[0]` compares
    to); `str()`, an f-string or `format` give it in the language in force at that moment
    (autograd.i18n, when loaded: choosing a language loads it), so raising looks nothing up and
    the CLI, a traceback in a Chinese notebook or a test each read it in their own language.
    A field may itself be a Message.  `make translations` collects the first argument of every
    `Message(...)` into the catalogues."""

    template: str
    fields: dict[str, object]

    def __new__(cls, template: str, **fields: object) -> Message:
        english = {name: str.__str__(v) if isinstance(v, Message) else v for name, v in fields.items()}
        self = super().__new__(cls, template.format(**english) if fields else template)
        self.template, self.fields = template, fields
        return self

    def __str__(self) -> str:
        i18n = sys.modules.get("autograd.i18n")  # the core imports nothing of the project
        if i18n is None or i18n.current() == i18n.SOURCE:
            return str.__str__(self)
        translated = i18n.gettext(self.template)
        return translated.format(**self.fields) if self.fields else translated

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return repr(str(self))

    def __getnewargs_ex__(self) -> tuple[tuple[str], dict[str, object]]:  # pickled: the template and fields
        return (self.template,), self.fields


PLAIN_NUMBER = Message("a plain-number operand")  # made once: _constant is on the hot path


def real_number(x: object, where: str, what: str = Message("data")) -> float:
    """`x` as a finite float, or an error naming `where` and what was received."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(Message("{where}: {what} must be a real number, got {type} {value}",
                                where=where, what=what, type=type(x).__name__, value=shown(x)))
    try:
        x = float(x)
    except OverflowError:
        raise OverflowError(Message("{where}: {what} {value} is too large for a float",
                                    where=where, what=what, value=shown(x))) from None
    if not math.isfinite(x):
        raise ValueError(Message("{where}: {what} must be finite, got {x!r}", where=where, what=what, x=x))
    return x


def shown(x: object, width: int = 40) -> str:
    """`x` as an error message shows it: cut to `width` characters, and a huge integer by
    its size (printing one of over 4,300 digits is itself an error in Python)."""
    if isinstance(x, int) and x.bit_length() > 128:
        return f"{'-' if x < 0 else ''}(an integer of about {x.bit_length() * math.log10(2):,.0f} digits)"
    try:
        text = repr(x)
    except ValueError:  # a Fraction of huge integers, say
        return f"(a {type(x).__name__} too long to print)"
    return text if len(text) <= width else text[: width - 3] + "..."


def _constant(x: object, op: str) -> float:
    """A plain-number operand of `op` as a float."""
    if type(x) is float and x - x == 0.0:  # finite
        return x
    return real_number(x, op, PLAIN_NUMBER)


def _compared(other: object, op: str) -> float:
    if _traced.get():
        raise ValueError(Message("compile: a Value is compared ({op}) while being traced, so the graph can depend on the "
                                 "data (a branch, or max/min over Values) and a tape traced once would replay one "
                                 "example's choice for all; choose with Value ops instead (relu, clamp, autograd.max/min)",
                                 op=op))
    if type(other) is Value:
        return other.data
    if isinstance(other, bool) or not isinstance(other, numbers.Real):
        raise TypeError(Message("{op}: cannot compare a Value with {type} {value}", op=op, type=type(other).__name__,
                                value=shown(other)))
    return other


def _nonzero(divisor: float, dividend: float) -> float:
    if divisor == 0:
        raise ZeroDivisionError(Message("division: {dividend!r} / {divisor!r} divides by zero",
                                        dividend=dividend, divisor=divisor))
    return divisor


def _total(terms: list[float], op: str) -> float:
    """The sum of `terms`, correctly rounded, or an OverflowError naming `op`.

    math.fsum gives up when a partial sum overflows (1e308 + 1e308 - 1e308); exact
    fractions then decide whether the true total fits in a float.
    """
    try:
        total = math.fsum(terms)
    except (OverflowError, ValueError):  # a partial sum or a term (a product) overflowed
        try:
            total = float(builtins.sum(map(Fraction, terms)))
        except (OverflowError, ValueError):  # a term is inf or nan, or the total is too large
            total = math.inf
    if total - total != 0.0:
        raise OverflowError(Message("{op}: the total is {total!r}, not a finite number (a term overflowed the float "
                                       "range)", op=op, total=total))
    return total


def _positive_base(x: float) -> float:
    if x <= 0:
        raise ValueError(Message("pow: base {x!r} must be positive when the exponent is a Value (x**y has no "
                                    "derivative in y for x <= 0); use a plain number exponent", x=x))
    return x


def _power(x: float, n: float) -> float:
    """x ** n for real x and n, with errors that say what went wrong."""
    if x < 0 and n != int(n):
        raise ValueError(Message("pow: a negative base {x!r} has no real power {n!r} (the exponent must be an "
                                    "integer)", x=x, n=n))
    if x == 0 and n < 0:
        raise ZeroDivisionError(Message("pow: 0.0 cannot be raised to the negative power {n!r}", n=n))
    try:
        return x**n
    except OverflowError:
        raise OverflowError(Message("pow: {x!r} ** {n!r} overflows the float range", x=x, n=n)) from None


# ---- order of the backward pass ----


def topological(roots: Iterable[Value], *, leaves: bool = False) -> list[Value]:
    """Every node of the graphs of `roots` once, each after the nodes it was computed from.

    The one walk of the graph: `backward()` (reversed, through `backward_order`), the
    drawings, the Stepper and `compile` all call it.  Leaves are left out unless `leaves`.
    An iterative depth-first search (no recursion limit), visiting each node once.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    for root in roots:
        if root in seen or not (leaves or root.parents):
            continue
        seen.add(root)
        stack = [(root, iter(root.parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if (leaves or parent.parents) and parent not in seen:
                    seen.add(parent)
                    if not parent.parents:  # a leaf goes straight in (most nodes of a wide layer are its weights)
                        order.append(parent)
                        continue
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def backward_order(root: Value) -> list[Value]:
    """The non-leaf nodes of `root`'s graph, each before every node it was computed from:
    the order in which `backward()` passes gradients on."""
    order = topological((root,))
    order.reverse()
    return order


def pass_gradient(node: Value) -> None:
    """One step of the chain rule: `node` adds `local * node.grad` to each input's grad.

    `backward()` repeats it over `backward_order`; the Stepper records around it.  A sum
    that stops being finite raises OverflowError naming the operation (no inf or NaN enters).
    """
    g = node.grad
    for parent, local in zip(node.parents, node.local_grads):
        total = parent.grad + local * g
        if total - total:  # inf or nan
            raise _grad_overflow(node, parent, local, g)
        parent.grad = total


class _fresh_grads:
    """Run one backward pass on grads that start at zero, then add back what was there.

    Non-leaf nodes pass on their own grad, so it must hold only this pass's gradient;
    adding the earlier totals back afterwards keeps every `grad` accumulating.
    """

    __slots__ = ("nodes", "earlier")

    def __init__(self, nodes: list[Value]) -> None:
        self.nodes = nodes

    def __enter__(self) -> None:
        self.earlier = [(node, node.grad) for node in self.nodes if node.grad]  # a new graph has none
        for node, _ in self.earlier:
            node.grad = 0.0

    def __exit__(self, *exc: object) -> None:
        for node, earlier in self.earlier:
            node.grad = accumulated(node, earlier)


class gc_paused:
    """Pause the cyclic garbage collector for a block that creates no reference cycles.

    Every Value is tracked by the collector, and its periodic scans of them made the
    backward pass of a 1,000,000-node chain 1.5-2x slower.  Safe across threads: a count
    of the blocks open anywhere, under a lock; the last one out re-enables the collector
    if it was on when the first one came in.
    """

    __slots__ = ()

    def __enter__(self) -> None:
        global _paused_blocks, _collector_was_on
        with _gc_lock:
            if not _paused_blocks:
                _collector_was_on = gc.isenabled()
                gc.disable()
            _paused_blocks += 1

    def __exit__(self, *exc: object) -> None:
        global _paused_blocks
        with _gc_lock:
            _paused_blocks -= 1
            if not _paused_blocks and _collector_was_on:
                gc.enable()


_gc_lock = threading.Lock()
_paused_blocks = 0  # gc_paused blocks open in any thread
_collector_was_on = False
_backward_lock = threading.Lock()  # one backward() at a time: passes that share a node would mix


# ---- tracing ----


_traced: ContextVar[bool] = ContextVar("traced", default=False)


class traced:
    """Context manager: a trace for `autograd.compile` runs inside, where comparing Values is
    refused and every Value records its parents, even inside `no_grad` (for this thread or
    task only, as `no_grad`)."""

    def __enter__(self) -> None:
        self._token = _traced.set(True)
        self._grad = _grad_off.set(0)

    def __exit__(self, *exc: object) -> None:
        _grad_off.reset(self._grad)
        _traced.reset(self._token)


# ---- no_grad ----


_grad_off: ContextVar[int] = ContextVar("no_grad", default=0)  # no_grad blocks this context is inside
_no_grad_users = 0  # no_grad blocks open in any context; lets _node skip the look-up when none is
_no_grad_lock = threading.Lock()


class no_grad:
    """Context manager: Values created inside record no parents (they are leaves).

    For parameter updates and evaluation.  It may be nested, and it holds for the
    thread or asyncio task that entered it, not the others (a context variable).
    """

    def __init__(self) -> None:
        self._tokens: list[Token[int]] = []

    def __enter__(self) -> no_grad:
        global _no_grad_users
        self._tokens.append(_grad_off.set(_grad_off.get() + 1))
        with _no_grad_lock:
            _no_grad_users += 1
        return self

    def __exit__(self, *exc: object) -> None:
        global _no_grad_users
        if not self._tokens:
            raise RuntimeError("no_grad: exited without being entered")
        _grad_off.reset(self._tokens.pop())
        with _no_grad_lock:
            _no_grad_users -= 1
