"""Compile a scalar graph: trace it once, then replay it over a whole batch with NumPy.

The scalar engine builds the same graph again for every example: only the numbers change.
`compile(fn, params, *batch)` calls `fn` once on symbolic inputs (fresh leaf Values) and
records the graph as a tape: every node in topological order, its op code (from the table
of operations, `autograd.OPS`, whose `batched` rule replays it), the indices of its parents and the constants its op needs.  A `Tape` then runs that graph forward and
backward over a whole batch at once, one NumPy array operation per *group* of like nodes
(same op, same number of parents, same depth): a layer of 16 neurons is one matrix
multiply and one relu, not 16 of each.  The model stays an ordinary graph of Values; the
tape only reads `p.data` and adds to `p.grad`.

A trace holds only for inputs that build the same graph.  Comparing Values while tracing
(`x > 0`, an `if` on it, Python's `max` over Values) is refused as it happens.  Code that
reads `.data` (to branch on it or take a constant from it) cannot be seen that way, so
`compile` traces a few more examples of the batch and refuses if any tape differs: that
check is a sample, not a proof (see the README's "What compiling detects").

NumPy is imported by the first `compile()`, not by `import autograd`: the engine itself
stays pure Python.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence

from .batched import grouped, load_numpy
from .ops import lookup
from .value import Value, gc_paused, shown, topological, traced

if TYPE_CHECKING:
    import numpy
    from numpy import ndarray

np: Any = None  # NumPy, bound by the first compile()


def _numpy() -> Any:
    global np
    np = load_numpy()
    return np


# ---- tracing: the graph of one example, as a tape ----


class Entry(NamedTuple):
    """One node of a traced graph, in topological order.

    `op` is an op code of the table (`autograd.OPS`), or "param", "input" or "constant" for a leaf; `parents`
    are indices of earlier entries; `constants` what the op needs besides its parents (for
    a leaf: its parameter or input index, or the constant's value).
    """

    op: str
    parents: tuple[int, ...]
    constants: tuple[float, ...]


LEAVES = ("param", "input", "constant")


def trace(fn: Callable[..., Value | Sequence[Value]], params: Sequence[Value],
          example: Sequence[Any]) -> tuple[list[Entry], list[int]]:
    """Call `fn` on one example whose numbers are fresh leaf Values; return (tape, output indices).

    A leaf that is neither a parameter nor one of those inputs is a constant: its number
    is recorded.  Every op must have a batched rule in its entry of the table.
    """
    inputs: list[Value] = []
    symbolic = [_symbolic(arg, inputs) for arg in example]
    with gc_paused(), traced():
        result = fn(*symbolic)
    outputs = [result] if isinstance(result, Value) else list(result)
    for out in outputs:
        if not isinstance(out, Value):
            raise TypeError(f"compile: fn must return a Value or a list of Values, got {type(out).__name__} {out!r}")
    param_index = {p: i for i, p in enumerate(params)}
    input_index = {v: j for j, v in enumerate(inputs)}
    order = topological(outputs, leaves=True)
    row = {node: i for i, node in enumerate(order)}
    tape = []
    for node in order:
        if node.parents:
            rule = lookup(node.op).batched
            if rule is None:
                raise ValueError(f"compile: op {node.op!r} has no batched rule, so a tape cannot replay it; give its "
                                 f"entry one: @batched({node.op!r}) in autograd/batched.py, or "
                                 "autograd.operation(..., batched=...) for your own op")
            tape.append(Entry(node.op, tuple(row[p] for p in node.parents), rule.constants_of(node)))
        elif node in param_index:
            tape.append(Entry("param", (), (param_index[node],)))
        elif node in input_index:
            tape.append(Entry("input", (), (input_index[node],)))
        else:
            tape.append(Entry("constant", (), (node.data,)))
    return tape, [row[out] for out in outputs]


def _symbolic(example: Any, inputs: list[Value]) -> Any:
    """One argument of `fn`: a number becomes a new leaf Value, a (nested) list a list of them."""
    if isinstance(example, list):
        return [_symbolic(e, inputs) for e in example]
    leaf = Value(example)
    inputs.append(leaf)
    return leaf


def _describe(entry: Entry) -> str:
    if entry.op in LEAVES:
        return f"{entry.op} {entry.constants[0]!r}"
    constants = f" with constants {list(entry.constants)}" if entry.constants else ""
    return f"op {entry.op!r} of nodes {list(entry.parents)}{constants}"


def _difference(first: tuple[list[Entry], list[int]], other: tuple[list[Entry], list[int]], example: int) -> str:
    (a, a_out), (b, b_out) = first, other
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"node {i} is {_describe(x)} for example 0 but {_describe(y)} for example {example}"
    if len(a) != len(b):
        return f"example 0 builds {len(a)} nodes but example {example} builds {len(b)}"
    return f"the outputs are nodes {a_out} for example 0 but {b_out} for example {example}"


# ---- the tape: groups of like nodes, replayed over a batch ----


class Group:
    """Nodes of one op, one number of parents and one depth: one array operation.

    Their rows of the value array are `start:stop`; `parents` is a (G, k) array of rows.
    A `dense` group is a layer: weighted sums whose weights are batch-constant leaves
    (parameters) and whose inputs are the same rows for every node, so the forward pass is
    one matrix product and the weights' gradient, summed over the batch, another.
    """

    __slots__ = ("op", "rule", "start", "stop", "parents", "flat", "unique", "constants",
                 "dense", "weights", "inputs", "bias", "dense_unique")

    def __init__(self, op: str, start: int, parents: ndarray, constants: ndarray, batch_constant: ndarray) -> None:
        self.op, self.rule = op, grouped(lookup(op).batched)
        self.start, self.stop = start, start + len(parents)
        self.parents, self.constants = parents, constants
        self.flat = _rows(parents.ravel())
        self.unique = _distinct(parents)
        bias = op == "wsum"
        n = (parents.shape[1] - bias) // 2
        self.dense = (op in ("wsum", "dot") and not constants.shape[1] and n > 0
                      and bool(batch_constant[parents[:, :n]].all())
                      and bool((parents[:, n:2 * n] == parents[0, n:2 * n]).all()))
        if self.dense:
            self.weights, self.inputs = parents[:, :n], _rows(parents[0, n:2 * n])
            self.bias = parents[:, -1] if bias else None
            self.dense_unique = (_distinct(self.weights), _distinct(parents[0, n:2 * n]),
                                 self.bias is None or _distinct(self.bias))

    def forward(self, V: ndarray) -> ndarray | None:
        """Compute this group's rows of V; return the local derivatives (None for a dense layer)."""
        if self.dense:
            out = V[self.weights, 0] @ V[self.inputs]
            if self.bias is not None:
                out += V[self.bias]
            V[self.start:self.stop] = out
            return None
        P = V[self.flat].reshape(*self.parents.shape, -1) if type(self.flat) is slice else V[self.parents]
        out, local = self.rule(P, self.constants)
        V[self.start:self.stop] = out
        return local

    def backward(self, V: ndarray, G: ndarray, summed: ndarray, local: ndarray | None) -> None:
        """Add this group's gradient to its parents' rows of G (per example) or of `summed`."""
        g = G[self.start:self.stop]
        if self.dense:
            weights_unique, inputs_unique, bias_unique = self.dense_unique
            _add(summed, self.weights, g @ V[self.inputs].T, weights_unique)  # summed over the batch at once
            _add(G, self.inputs, V[self.weights, 0].T @ g, inputs_unique)
            if self.bias is not None:
                _add(G, self.bias, g, bias_unique)
            return
        contributions = local * g[:, None, :]
        if contributions.shape != (*self.parents.shape, g.shape[1]):  # a slope shared by all parents
            contributions = np.broadcast_to(contributions, (*self.parents.shape, g.shape[1]))
        _add(G, self.flat, contributions.reshape(self.parents.size, -1), self.unique)


def _distinct(rows: ndarray) -> bool:
    return len(np.unique(rows)) == rows.size


def _rows(rows: ndarray) -> ndarray | slice:
    """Consecutive rows as a slice (a view: much faster to read and add to than a row list)."""
    if len(rows) and (rows == np.arange(rows[0], rows[0] + len(rows))).all():
        return slice(int(rows[0]), int(rows[0]) + len(rows))
    return rows


def _add(G: ndarray, rows: ndarray, values: ndarray, unique: bool) -> None:
    """G[rows] += values, adding every contribution where a row appears more than once."""
    if unique:
        G[rows] += values
    else:
        np.add.at(G, rows, values)


class Tape:
    """A traced graph, run over a batch: `forward(*batch)` then `backward()`.

    Rows of the value array: the leaves (parameters, inputs, constants), then the groups.
    """

    def __init__(self, tape: list[Entry], outputs: list[int], params: Sequence[Value],
                 shapes: list[tuple[int, ...]]) -> None:
        self.params = list(params)
        self.shapes = shapes
        self.nodes = len(tape)
        depth = [0] * len(tape)
        keys: dict[tuple, list[int]] = {}
        leaves = []
        for i, entry in enumerate(tape):
            if entry.op in LEAVES:
                leaves.append(i)
                continue
            depth[i] = 1 + max(depth[p] for p in entry.parents)
            keys.setdefault((depth[i], entry.op, len(entry.parents), len(entry.constants)), []).append(i)
        grouped = [keys[key] for key in sorted(keys, key=lambda key: (key[0], keys[key][0]))]
        kinds = {kind: [i for i in leaves if tape[i].op == kind] for kind in LEAVES}
        kinds["param"].sort(key=lambda i: tape[i].constants[0])  # rows in the order of params and of inputs
        kinds["input"].sort(key=lambda i: tape[i].constants[0])
        order = [i for kind in LEAVES for i in kinds[kind]] + [i for members in grouped for i in members]
        row = [0] * len(tape)
        for r, i in enumerate(order):
            row[i] = r
        self.param_rows = np.array([row[i] for i in kinds["param"]], dtype=np.intp)
        self.param_ids = np.array([int(tape[i].constants[0]) for i in kinds["param"]], dtype=np.intp)
        self.input_rows = np.array([row[i] for i in kinds["input"]], dtype=np.intp)
        self.input_ids = np.array([int(tape[i].constants[0]) for i in kinds["input"]], dtype=np.intp)
        self.constant_rows = np.array([row[i] for i in kinds["constant"]], dtype=np.intp)
        self.constant_values = np.array([tape[i].constants[0] for i in kinds["constant"]], dtype=float)
        batch_constant = np.zeros(len(tape), dtype=bool)
        batch_constant[self.param_rows] = batch_constant[self.constant_rows] = True
        self.groups = []
        start = len(leaves)
        for members in grouped:
            parents = np.array([[row[p] for p in tape[i].parents] for i in members], dtype=np.intp)
            constants = np.array([tape[i].constants for i in members], dtype=float).reshape(len(members), -1, 1)
            self.groups.append(Group(tape[members[0]].op, start, parents, constants, batch_constant))
            start += len(members)
        self.outputs = np.array([row[i] for i in outputs], dtype=np.intp)
        self.outputs_unique = len(set(outputs)) == len(outputs)
        self.values: ndarray | None = None
        self.locals: list[ndarray | None] = []

    def __repr__(self) -> str:
        return (f"Tape({self.nodes} nodes: {len(self.param_rows)} parameters, {len(self.input_rows)} inputs, "
                f"{len(self.constant_rows)} constants, {len(self.groups)} array operations; "
                f"{len(self.outputs)} output{'s' * (len(self.outputs) != 1)})")

    def forward(self, *batch: Any) -> ndarray:
        """The outputs for every example of `batch` (one array per argument of fn), shape (outputs, examples)."""
        columns = self._columns(batch)
        rows = (len(self.param_rows) + len(self.input_rows) + len(self.constant_rows)
                + sum(g.stop - g.start for g in self.groups))
        needed, room = BYTES_PER_CELL * rows * columns.shape[1], available_memory()
        if room is not None and needed > room:  # refused before it is allocated, not a MemoryError deep in NumPy
            raise MemoryError(f"Tape.forward: a batch of {columns.shape[1]:,} examples needs about {needed / 2**30:,.1f} GiB "
                              f"({rows:,} values per example, and their gradients), more than the "
                              f"{room / 2**30:,.1f} GiB available; pass smaller batches")
        V = np.empty((rows, columns.shape[1]))
        V[self.param_rows] = np.array([p.data for p in self.params])[self.param_ids, None]
        V[self.input_rows] = columns[self.input_ids]
        V[self.constant_rows] = self.constant_values[:, None]
        with np.errstate(all="ignore"):  # the engine raises where a rule gives inf or nan: checked below
            self.locals = [group.forward(V) for group in self.groups]
        if not (np.isfinite(V).all() and all(local is None or np.isfinite(local).all() for local in self.locals)):
            self._not_finite(V)
        self.values = V
        return V[self.outputs]

    __call__ = forward

    def backward(self, grad_outputs: Any = None) -> ndarray:
        """Add d(sum over the batch of grad_outputs * outputs)/dp to every parameter's `grad`.

        `grad_outputs` has the shape of `forward`'s result; by default all ones, so each
        parameter gets the sum over the batch of d(output)/dp.  Returns those gradients.
        """
        V = self.values
        if V is None:
            raise RuntimeError("Tape.backward: call forward() first")
        seed = np.ones((len(self.outputs), V.shape[1])) if grad_outputs is None else np.asarray(grad_outputs, dtype=float)
        if seed.shape != (len(self.outputs), V.shape[1]):
            raise ValueError(f"Tape.backward: grad_outputs must have shape {(len(self.outputs), V.shape[1])}, got {seed.shape}")
        G = np.zeros_like(V)
        _add(G, self.outputs, seed, self.outputs_unique)
        summed = np.zeros(len(V))
        with np.errstate(all="ignore"):
            for group, local in zip(reversed(self.groups), reversed(self.locals)):
                group.backward(V, G, summed, local)
        grads = np.zeros(len(self.params))
        grads[self.param_ids] = G[self.param_rows].sum(axis=1) + summed[self.param_rows]  # one row per parameter
        bad = np.flatnonzero(~np.isfinite(grads))
        if len(bad):
            raise OverflowError(f"Tape.backward: the gradient of parameter {bad[0]} is {grads[bad[0]]!r}, "
                                "not a finite number (it overflows the float range)")
        totals = [p.grad + g for p, g in zip(self.params, grads.tolist())]
        bad = [i for i, total in enumerate(totals) if total - total != 0]  # inf or nan
        if bad:  # a grad summed over several calls: refused before any grad changes, as backward() does
            raise OverflowError(f"Tape.backward: the gradient of parameter {bad[0]} summed with its grad so far "
                                f"({self.params[bad[0]].grad!r}) is {totals[bad[0]]!r}, not a finite number; zero the grads")
        for p, total in zip(self.params, totals):
            p.grad = total
        return grads

    def _columns(self, batch: Sequence[Any]) -> ndarray:
        """The batch as one (inputs, examples) array, checked against the traced shapes."""
        if len(batch) != len(self.shapes):
            raise ValueError(f"Tape: expected {len(self.shapes)} input arrays (one per argument of fn), got {len(batch)}")
        arrays = [real_array(a, f"Tape: input {i}") for i, a in enumerate(batch)]
        examples = len(arrays[0]) if arrays and arrays[0].ndim else 0
        for i, (a, shape) in enumerate(zip(arrays, self.shapes)):
            if a.shape != (examples, *shape) or not examples:
                raise ValueError(f"Tape: input {i} must have shape (examples, {', '.join(map(str, shape))}) "
                                 f"like the traced example, with examples >= 1 and the same for every input; got {a.shape}")
        if not arrays:
            return np.empty((0, 1))
        return np.concatenate([a.reshape(examples, -1) for a in arrays], axis=1).T

    def _not_finite(self, V: ndarray) -> None:
        """Raise as the scalar engine would have, naming the first op and example that went wrong."""
        bad = np.flatnonzero(~np.isfinite(V[self.param_rows]).all(axis=1))
        if len(bad):
            p = int(self.param_ids[bad[0]])
            raise OverflowError(f"Tape: parameter {p} is {self.params[p].data!r}, not a finite number")
        for group, local in zip(self.groups, self.locals):
            rows = V[group.start:group.stop]
            slopes = np.zeros(1) if local is None else np.broadcast_to(local, (*group.parents.shape, rows.shape[1]))
            for what, values in (("result", rows), ("slope", slopes)):
                where = np.argwhere(~np.isfinite(values))
                if len(where):
                    g, *_, b = where[0]
                    operands = ", ".join(repr(float(V[r, b])) for r in group.parents[g])
                    constants = [float(c) for c in group.constants[g, :, 0]]
                    bad = float(values[tuple(where[0])])
                    raise (ValueError if math.isnan(bad) else OverflowError)(
                        f"{group.op}: the {what} on {operands}{f' and {constants}' if constants else ''} "
                        f"(example {b}) is {bad!r}, not a finite number")


BYTES_PER_CELL = 24  # a value, its gradient and its local slope, 8 bytes each, per node and example


def available_memory() -> int | None:
    """Bytes of memory this process could still use (Linux's MemAvailable), None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def real_array(values: Any, who: str) -> ndarray:
    """`values` as a float array, once it is known to hold finite real numbers (bools and
    integers are numbers; complex numbers, strings, objects and ragged lists are refused, as
    are NaN and inf, naming the first)."""
    _numpy()
    try:
        array = np.asarray(values)
        if array.dtype.kind == "O":
            array = array.astype(float)
    except (TypeError, ValueError) as why:
        raise ValueError(f"{who} must be an array of real numbers: {shown(str(why), 120)}") from None
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{who} must hold real numbers (float, int or bool), got an array of {array.dtype}")
    array = array.astype(float, copy=False)
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        raise ValueError(f"{who} holds a value that is not finite: {float(array[tuple(bad[0])])!r} "
                         f"(at {tuple(int(i) for i in bad[0])})")
    return array


def compile(fn: Callable[..., Value | Sequence[Value]], params: Sequence[Value], *batch: Any,  # noqa: A001 - autograd.compile
            checks: int = 3) -> Tape:
    """Trace `fn` once and return a `Tape` that runs it over whole batches with NumPy.

    `fn(*example)` computes the outputs (a Value or a list of Values) of one example from
    the parameters `params` (Values it reads but does not own); `batch` gives one array
    per argument of fn, a row per example (a row of shape (3,) is passed as a list of 3
    Values, a single number as one Value).  The first example is traced; `checks` others
    are traced too and must give the same tape, or the graph depends on the data and the
    compile is refused.
    """
    _numpy()
    params = list(params)
    if len(set(params)) != len(params) or not all(isinstance(p, Value) for p in params):
        raise ValueError("compile: params must be distinct Values (model.parameters())")
    computed = next((i for i, p in enumerate(params) if p.parents), None)
    if computed is not None:  # its gradient would stop at it, and an optimiser's update would be lost
        raise ValueError(f"compile: params[{computed}] ({params[computed]!r}) is computed by the op "
                         f"{params[computed].op!r}, not a leaf; parameters are leaf Values (model.parameters())")
    arrays = [real_array(a, f"compile: batch array {i}") for i, a in enumerate(batch)]
    sizes = {len(a) if a.ndim else 0 for a in arrays}
    if len(sizes) > 1 or 0 in sizes:
        raise ValueError(f"compile: every array of the batch needs the same number of examples (>= 1), got {sorted(sizes)}")
    examples = sizes.pop() if sizes else 1
    first = trace(fn, params, [a[0].tolist() for a in arrays])
    for b in sorted({1, examples // 2, examples - 1} & set(range(1, examples)))[:checks]:
        other = trace(fn, params, [a[b].tolist() for a in arrays])
        if other != first:
            raise ValueError(f"compile: the graph depends on the data ({_difference(first, other, b)}): fn branches "
                             "on .data, takes a constant from it, or draws random numbers (Dropout in training mode), "
                             "so a tape traced once cannot replay it. Choose with Value ops (relu, max, clamp) instead, "
                             "or pass the number as an input")
    return Tape(*first, params, [a.shape[1:] for a in arrays])
