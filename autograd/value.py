"""The `Value` node and the table of operations it supports.

Every operation computes its result and, right beside it, the local derivative of the
result with respect to each input.  Those numbers are stored on the new node
(`local_grads`, in the same order as `parents`), so `backward()` only has to multiply and
add: there are no per-node closures, and stepping through backprop can show every factor
of the chain rule.
"""

from __future__ import annotations

import gc
import math
import numbers
import operator
import threading
from operator import mul
from typing import Callable, Iterable, Sequence, Union

Number = Union[int, float]
Operand = Union["Value", Number]


class Value:
    """A scalar in a computation graph: its value, its gradient and how it was computed.

    `parents` are the Values this one was computed from and `local_grads` the partial
    derivative of this node with respect to each of them.  `arg` holds what else the
    operation needs to be read back: the plain number of `x * 2` or `2 - x`, the slope of
    `leaky_relu`, the total of the plain numbers in a `sum`, the number of weights of a
    weighted sum; None otherwise.

    Every result and every local derivative is a finite float: where one would overflow,
    the operation raises OverflowError naming itself, so no inf or NaN enters a graph.
    """

    __slots__ = ("data", "grad", "label", "op", "arg", "parents", "local_grads")

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__} {label!r}")
        self.data = _real(data, "Value")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.arg = None
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label})"

    # ---- the table of operations: forward rule, then local derivative(s) ----

    def __add__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _node(self.data + other.data, "+", (self, other), (1.0, 1.0))
        c = _constant(other, "+")
        return _node(self.data + c, "+", (self,), (1.0,), c)

    def __sub__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _node(self.data - other.data, "-", (self, other), (1.0, -1.0))
        c = _constant(other, "-")
        return _node(self.data - c, "-", (self,), (1.0,), c)

    def __mul__(self, other: Operand) -> Value:
        if type(other) is Value:
            return _node(self.data * other.data, "*", (self, other), (other.data, self.data))
        c = _constant(other, "*")
        return _node(self.data * c, "*", (self,), (c,), c)

    def __truediv__(self, other: Operand) -> Value:
        if type(other) is Value:
            y = _nonzero(other.data, self.data)
            q = self.data / y
            return _node(q, "/", (self, other), (_slope(1.0 / y, "/", y), _slope(-q / y, "/", y)))
        c = _nonzero(_constant(other, "/"), self.data)
        return _node(self.data / c, "/", (self,), (_slope(1.0 / c, "/", c),), c)

    def __pow__(self, other: Operand) -> Value:
        x = self.data
        if type(other) is Value:  # d/dy x**y = x**y * ln(x) needs x > 0
            y = other.data
            if x == 0 and y > 0:  # as PyTorch and HIPS autograd: 0**y = 0, d/dy = 0
                if y < 1:
                    raise ValueError(f"pow: the slope of x**{y!r} is infinite at x = 0.0")
                return _node(0.0, "**", (self, other), (1.0 if y == 1 else 0.0, 0.0))
            out = _power(_positive_base(x), y)
            return _node(out, "**", (self, other), (_slope(_times_power(y, x, y - 1), "pow", x),
                                                    _slope(out * math.log(x), "pow", x)))
        n = _constant(other, "**")
        out = _power(x, n)
        if x == 0 and 0 < n < 1:
            raise ValueError(f"pow: the slope of x**{n!r} is infinite at x = 0.0")
        return _node(out, "**", (self,), (_slope(_times_power(n, x, n - 1), "pow", x),), n)

    def __neg__(self) -> Value:
        return _node(-self.data, "neg", (self,), (-1.0,))

    def __abs__(self) -> Value:
        x = self.data
        return _node(abs(x), "abs", (self,), (1.0 if x > 0 else -1.0 if x < 0 else 0.0,))

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp: overflow at x = {self.data!r} (e**x exceeds the float range)") from None
        return _node(e, "exp", (self,), (e,))

    def log(self) -> Value:
        x = self.data
        if x <= 0:
            raise ValueError(f"log: undefined for x = {x!r} (needs x > 0)")
        return _node(math.log(x), "log", (self,), (_slope(1.0 / x, "log", x),))

    def sqrt(self) -> Value:
        x = self.data
        if x < 0:
            raise ValueError(f"sqrt: undefined for x = {x!r} (needs x >= 0)")
        if x == 0:
            raise ValueError("sqrt: the slope is infinite at x = 0.0 (derivative 1 / (2*sqrt(x)))")
        r = math.sqrt(x)
        return _node(r, "sqrt", (self,), (0.5 / r,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return _node(t, "tanh", (self,), (1.0 - t * t,))

    def sigmoid(self) -> Value:
        x = self.data
        if x >= 0:  # two forms, so exp never overflows
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, "sigmoid", (self,), (s * (1.0 - s),))

    def relu(self) -> Value:
        x = self.data
        return _node(x if x > 0 else 0.0, "relu", (self,), (1.0 if x > 0 else 0.0,))

    def leaky_relu(self, slope: float = 0.01) -> Value:
        x, a = self.data, _constant(slope, "leaky_relu")
        return _node(x if x > 0 else a * x, "leaky_relu", (self,), (1.0 if x > 0 else a,), a)

    def clamp(self, lo: Number | None = None, hi: Number | None = None) -> Value:
        """`x` limited to [lo, hi]; slope 1 inside (ends included, as PyTorch), 0 outside."""
        x = self.data
        low = -math.inf if lo is None else _constant(lo, "clamp")
        high = math.inf if hi is None else _constant(hi, "clamp")
        if low > high:
            raise ValueError(f"clamp: lo {lo!r} is greater than hi {hi!r}")
        inside = low <= x <= high
        out = x if inside else low if x < low else high
        return _node(out, "clamp", (self,), (1.0 if inside else 0.0,), (lo, hi))

    def max(self, other: Operand) -> Value:
        """The larger of two: `autograd.max([self, other])`."""
        return max((self, other))

    def min(self, other: Operand) -> Value:
        """The smaller of two: `autograd.min([self, other])`."""
        return min((self, other))

    def detach(self) -> Value:
        """A new leaf with the same data: gradients stop here (truncated backprop through time)."""
        return Value(self.data, self.label)

    # comparisons read `.data` and give a plain bool: they are not differentiable.  `==` and
    # hashing stay identity, because graphs keep their nodes in sets and dicts.
    def __lt__(self, other: Operand) -> bool:
        return self.data < _compared(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self.data <= _compared(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self.data > _compared(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _compared(other, ">=")

    __hash__ = object.__hash__

    def sin(self) -> Value:
        return _node(math.sin(self.data), "sin", (self,), (math.cos(self.data),))

    def cos(self) -> Value:
        return _node(math.cos(self.data), "cos", (self,), (-math.sin(self.data),))

    # ---- a plain number on the left: `arg` is that number ----

    def __radd__(self, other: Number) -> Value:
        return self + other

    def __rmul__(self, other: Number) -> Value:
        return self * other

    def __rsub__(self, other: Number) -> Value:  # c - x
        c = _constant(other, "-")
        return _node(c - self.data, "rsub", (self,), (-1.0,), c)

    def __rtruediv__(self, other: Number) -> Value:  # c / x
        c = _constant(other, "/")
        x = _nonzero(self.data, c)
        q = c / x
        return _node(q, "rdiv", (self,), (_slope(-q / x, "/", x),), c)

    def __rpow__(self, other: Number) -> Value:  # c ** x
        c = _constant(other, "**")
        if c == 0 and self.data > 0:  # 0**x = 0 for x > 0, and so is its slope
            return _node(0.0, "rpow", (self,), (0.0,), c)
        c = _positive_base(c)
        out = _power(c, self.data)
        return _node(out, "rpow", (self,), (_slope(out * math.log(c), "pow", self.data),), c)

    # ---- backward ----

    def backward(self) -> None:
        """Add d(self)/d(node) to the `grad` of every node of the graph, as PyTorch does.

        A node reached along several paths gets the sum of its paths; calling `backward()`
        twice adds twice.  Each node passes its gradient on once, after every node that
        uses it has (the order of `backward_order`), so no recursion and linear time.
        """
        with gc_paused():
            order = backward_order(self)
            with _fresh_grads(order):
                self.grad = 1.0 if order else self.grad + 1.0
                for node in order:
                    g = node.grad
                    if g:  # a zero gradient (below a dead relu, say) would add only zeros
                        for parent, local in zip(node.parents, node.local_grads):
                            parent.grad += local * g


# ---- fused n-ary operations, for networks: one node instead of 2n ----


def sum(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors torch.sum; not in __all__
    """`sum(v_i)` as a single node (each local derivative is 1); `arg` is the total of
    the plain numbers among the terms (None if there are none)."""
    values = list(values)
    parents = tuple(v for v in values if type(v) is Value)
    constants = [_constant(v, "sum") for v in values if type(v) is not Value]
    data = _total([*(v.data for v in parents), *constants], "sum")
    return _node(data, "sum", parents, (1.0,) * len(parents), math.fsum(constants) if constants else None)


def max(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors torch.max; not in __all__
    """The largest of `values` as one node: slope 1 to the first maximal Value, 0 to the rest
    (max pooling routes the gradient to the maximum only).  `arg` is the largest plain number
    among them (None if there are none)."""
    return _extreme(values, "max", operator.gt)


def min(values: Iterable[Operand]) -> Value:  # noqa: A001 - mirrors torch.min; not in __all__
    """The smallest of `values` as one node: slope 1 to the first minimal Value, 0 to the rest."""
    return _extreme(values, "min", operator.lt)


def _extreme(values: Iterable[Operand], op: str, beats: Callable[[float, float], bool]) -> Value:
    values = list(values)
    parents = tuple(v for v in values if type(v) is Value)
    if not parents:
        raise ValueError(f"{op}: needs at least one Value, got {len(values)} plain numbers")
    constants = [_constant(v, op) for v in values if type(v) is not Value]
    best = 0
    for i, v in enumerate(parents):
        if beats(v.data, parents[best].data):
            best = i
    data, arg = parents[best].data, None
    if constants:
        arg = constants[0]
        for c in constants:
            arg = c if beats(c, arg) else arg
        if beats(arg, data):
            data, best = arg, -1
    grads = tuple(1.0 if i == best else 0.0 for i in range(len(parents)))
    return _node(data, op, parents, grads, arg)


def weighted_sum(weights: Sequence[Value], inputs: Sequence[Operand], bias: Value | None = None) -> Value:
    """`sum(w_i * x_i) + b` as a single node: a neuron's pre-activation.

    d/dw_i = x_i, d/dx_i = w_i, d/db = 1.  The parents are the weights, then the inputs if
    they are Values, then the bias; `arg` is the number of weights and the op is "wsum"
    with a bias, "dot" without, so a drawing can tell which parent is which.  Plain-number
    inputs (a first layer) are not nodes; a plain number mixed among Values becomes a leaf.
    """
    if len(weights) != len(inputs):
        raise ValueError(f"weighted_sum: {len(weights)} weights but {len(inputs)} inputs")
    if bias is not None and type(bias) is not Value:
        raise TypeError(f"weighted_sum: bias must be a Value or None, got {type(bias).__name__}")
    try:
        w_data = [w.data for w in weights]
    except AttributeError:
        kinds = sorted({type(w).__name__ for w in weights if type(w) is not Value})
        raise TypeError(f"weighted_sum: weights must be Values, got {', '.join(kinds)}") from None
    kinds = set(map(type, inputs))
    if Value not in kinds:  # a first layer: the inputs are plain numbers
        fast = kinds <= {float} and all(map(math.isfinite, inputs))
        x_data = [*inputs] if fast else [_constant(x, "weighted_sum") for x in inputs]
        parents, grads = [*weights], x_data
    else:  # a hidden layer: every input is a node
        if kinds != {Value}:
            inputs = [x if type(x) is Value else Value(_constant(x, "weighted_sum")) for x in inputs]
        x_data = [x.data for x in inputs]
        parents, grads = [*weights, *inputs], [*x_data, *w_data]
    terms = list(map(mul, w_data, x_data))
    if bias is not None:
        terms.append(bias.data)
        parents.append(bias)
        grads.append(1.0)
    op = "dot" if bias is None else "wsum"
    return _node(_total(terms, op), op, tuple(parents), tuple(grads), len(weights))


# ---- building nodes ----


def _node(data: float, op: str, parents: tuple, local_grads: tuple, arg: float | int | None = None) -> Value:
    """A new non-leaf node, skipping `Value.__init__`'s checks (data is already a float)."""
    if data - data != 0.0:  # inf or nan: the operation overflowed
        _overflow(op, data, parents, arg)
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    if _no_grad_users and _recording.paused:  # a leaf: nothing to read back
        node.op, node.arg, node.parents, node.local_grads = "", None, (), ()
    else:
        node.op, node.arg, node.parents, node.local_grads = op, arg, parents, local_grads
    return node


_new = object.__new__


def _overflow(op: str, data: float, parents: tuple, arg: float | int | None) -> None:
    operands = [repr(p.data) for p in parents] + ([] if arg is None else [repr(arg)])  # fused sums check first
    raise OverflowError(f"{op}: the result of {op} on {', '.join(operands)} is {data!r}, not a finite number "
                        "(it overflows the float range)")


def _slope(g: float, op: str, x: float) -> float:
    """A local derivative, checked: an infinite slope would silently poison backward()."""
    if g - g != 0.0:
        raise OverflowError(f"{op}: the slope at {x!r} overflows the float range")
    return g


def _times_power(n: float, x: float, m: float) -> float:
    """n * x**m for the slope of a power, inf where x**m overflows (for _slope to report)."""
    if n == 0:
        return 0.0
    try:
        return n * x**m
    except OverflowError:
        return math.inf


def _real(x: object, where: str, what: str = "data") -> float:
    """`x` as a finite float, or an error naming `where` and what was received."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: {what} must be a real number, got {type(x).__name__} {x!r}")
    try:
        x = float(x)
    except OverflowError:
        raise OverflowError(f"{where}: {what} {str(x)[:12]}... is too large for a float") from None
    if not math.isfinite(x):
        raise ValueError(f"{where}: {what} must be finite, got {x!r}")
    return x


def _constant(x: object, op: str) -> float:
    """A plain-number operand of `op` as a float."""
    if type(x) is float and x - x == 0.0:  # finite
        return x
    return _real(x, op, "a plain-number operand")


def _compared(other: object, op: str) -> float:
    if type(other) is Value:
        return other.data
    if isinstance(other, bool) or not isinstance(other, numbers.Real):
        raise TypeError(f"{op}: cannot compare a Value with {type(other).__name__} {other!r}")
    return other


def _nonzero(divisor: float, dividend: float) -> float:
    if divisor == 0:
        raise ZeroDivisionError(f"division: {dividend!r} / {divisor!r} divides by zero")
    return divisor


def _total(terms: list[float], op: str) -> float:
    """The sum of `terms`, correctly rounded (math.fsum), or an OverflowError naming `op`."""
    try:
        total = math.fsum(terms)
    except (OverflowError, ValueError):  # fsum's words for an infinite partial sum
        total = math.inf
    if total - total != 0.0:
        raise OverflowError(f"{op}: the total is {total!r}, not a finite number (a term overflowed the float range)")
    return total


def _positive_base(x: float) -> float:
    if x <= 0:
        raise ValueError(
            f"pow: base {x!r} must be positive when the exponent is a Value "
            f"(x**y has no derivative in y for x <= 0); use a plain number exponent"
        )
    return x


def _power(x: float, n: float) -> float:
    """x ** n for real x and n, with errors that say what went wrong."""
    if x < 0 and n != int(n):
        raise ValueError(f"pow: a negative base {x!r} has no real power {n!r} (the exponent must be an integer)")
    if x == 0 and n < 0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {n!r}")
    try:
        return x**n
    except OverflowError:
        raise OverflowError(f"pow: {x!r} ** {n!r} overflows the float range") from None


# ---- order of the backward pass ----


def backward_order(root: Value) -> list[Value]:
    """The non-leaf nodes of `root`'s graph, each before every node it was computed from.

    An iterative depth-first search (no recursion limit), visiting each node once.
    """
    if not root.parents:
        return []
    post: list[Value] = []
    seen = {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent.parents and parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            post.append(node)
    post.reverse()
    return post


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
            node.grad += earlier


class gc_paused:
    """Pause the cyclic garbage collector for a block that creates no reference cycles.

    Every Value is tracked by the collector, and its periodic scans of them made the
    backward pass of a 1,000,000-node chain 1.5-2x slower.  Re-enables it only if it was on.
    """

    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was_enabled:
            gc.enable()


# ---- no_grad ----


class _Recording(threading.local):
    paused = 0  # how many no_grad blocks this thread is inside


_recording = _Recording()
_no_grad_users = 0  # threads inside no_grad anywhere; lets _node skip the thread-local look-up
_no_grad_lock = threading.Lock()


class no_grad:
    """Context manager: Values created inside record no parents (they are leaves).

    For parameter updates and evaluation.  Per thread, and it may be nested.
    """

    def __enter__(self) -> no_grad:
        global _no_grad_users
        with _no_grad_lock:
            if not _recording.paused:
                _no_grad_users += 1
            _recording.paused += 1
        return self

    def __exit__(self, *exc: object) -> None:
        global _no_grad_users
        with _no_grad_lock:
            if not _recording.paused:
                raise RuntimeError("no_grad: exited without being entered")
            _recording.paused -= 1
            if not _recording.paused:
                _no_grad_users -= 1
