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
from .i18n import N_
from .ops import lookup
from .value import Message, Value, gc_paused, shown, topological, traced

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
          example: Sequence[Any], param_entries: dict[Value, Entry] | None = None) -> tuple[list[Entry], list[int]]:
    """Call `fn` on one example whose numbers are fresh leaf Values; return (tape, output indices).

    A leaf that is neither a parameter nor one of those inputs is a constant: its number
    is recorded.  Every op must have a batched rule in its entry of the table.
    `param_entries` (`parameter_entries(params)`) saves making the parameters' entries again
    for every trace (a wide layer has far more parameters than nodes).
    """
    inputs: list[Value] = []
    symbolic = [_symbolic(arg, inputs) for arg in example]
    with gc_paused(), traced():
        result = fn(*symbolic)
    outputs = [result] if isinstance(result, Value) else list(result)
    for out in outputs:
        if not isinstance(out, Value):
            raise TypeError(Message("compile: fn must return a Value or a list of Values, got {type} {out!r}",
                                    type=type(out).__name__, out=out))
    leaves = dict(parameter_entries(params) if param_entries is None else param_entries)
    leaves.update((v, Entry("input", (), (j,))) for j, v in enumerate(inputs))
    leaf = leaves.get
    order = topological(outputs, leaves=True)
    row = {node: i for i, node in enumerate(order)}
    position = row.__getitem__
    tape: list[Entry] = []
    append = tape.append
    for node in order:
        parents = node.parents
        if parents:
            rule = lookup(node.op).batched
            if rule is None:
                raise ValueError(Message("compile: op {op!r} has no batched rule, so a tape cannot replay it; give its entry "
                                         "one: @batched({op!r}) in autograd/batched.py, or autograd.operation(..., "
                                         "batched=...) for your own op", op=node.op))
            append(Entry(node.op, tuple(map(position, parents)), rule.constants_of(node)))
        else:
            append(leaf(node) or Entry("constant", (), (node.data,)))
    return tape, [row[out] for out in outputs]


def parameter_entries(params: Sequence[Value]) -> dict[Value, Entry]:
    """The tape entry of each parameter (a leaf that is the i-th of `params`)."""
    return {p: Entry("param", (), (i,)) for i, p in enumerate(params)}


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
    if entry.constants:
        return Message("op {op!r} of nodes {parents} with constants {constants}", op=entry.op,
                       parents=list(entry.parents), constants=list(entry.constants))
    return Message("op {op!r} of nodes {parents}", op=entry.op, parents=list(entry.parents))


def _difference(first: tuple[list[Entry], list[int]], other: tuple[list[Entry], list[int]], example: int) -> str:
    (a, a_out), (b, b_out) = first, other
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return Message("node {i} is {first} for example 0 but {other} for example {example}", i=i,
                           first=_describe(x), other=_describe(y), example=example)
    if len(a) != len(b):
        return Message("example 0 builds {first} nodes but example {example} builds {other}", first=len(a),
                       example=example, other=len(b))
    return Message("the outputs are nodes {first} for example 0 but {other} for example {example}", first=a_out,
                   other=b_out, example=example)


# ---- the tape: groups of like nodes, replayed over a batch ----
#
# The rows of the value array V (rows x examples) are the inputs, the constants, the few
# parameters that a group reads like any other operand (copied into every column each
# batch), then the groups' nodes.  All parameters are one vector `theta` and their gradient
# one vector `grad`: a layer's weights are read from theta (a strided view where they lie
# in order, as a `Neuron`'s do) and their gradient, summed over the batch by a matrix
# product, is added straight into grad.  So a step's memory grows with the batch times the
# non-parameter nodes, never times the parameters.  Gradients flow only to rows that lead
# back to a parameter: none into the inputs, the constants or a layer fed only by them.


class Block:
    """Parameters `ids` (an array of any shape) of the vectors theta and grad.

    Where the ids are evenly spaced (a layer of neurons, each weights-then-bias), a strided
    view of the vector; otherwise a gather, and gradients are summed per parameter with
    `bincount` where a parameter appears more than once (a convolution's shared weights).
    """

    __slots__ = ("ids", "view", "gview", "targets", "inverse", "owned")

    def __init__(self, ids: ndarray, theta: ndarray, grad: ndarray) -> None:
        self.ids = ids
        self.owned = False  # a view of parameters no other block reads: `set` may overwrite their gradient
        self.view, self.gview = _strided(theta, ids), _strided(grad, ids)
        self.targets = self.inverse = None
        if self.view is None and not _distinct(ids):
            self.targets, self.inverse = np.unique(ids, return_inverse=True)
            self.inverse = self.inverse.ravel()

    def read(self, theta: ndarray) -> ndarray:
        return self.view if self.view is not None else theta[self.ids]

    def set(self, grad: ndarray, product: Callable[..., ndarray], *operands: ndarray) -> None:
        """grad[ids] += product(*operands), written straight into the gradient where this block owns its parameters."""
        if self.owned:
            product(*operands, out=self.gview)
        else:
            self.add(grad, product(*operands))

    def add(self, grad: ndarray, values: ndarray) -> None:
        """grad[ids] += values, adding every contribution to a parameter that appears more than once."""
        if self.gview is not None:
            self.gview += values
        elif self.targets is None:
            grad[self.ids] += values
        else:
            grad[self.targets] += np.bincount(self.inverse, weights=values.ravel(), minlength=len(self.targets))


def _strided(vector: ndarray, ids: ndarray) -> ndarray | None:
    """`vector[ids]` as a view, if ids are distinct and evenly spaced along each axis; else None."""
    if not ids.size or not _distinct(ids):
        return None
    start = int(ids.flat[0])
    steps = [int(ids[(0,) * a + (1,) + (0,) * (ids.ndim - a - 1)]) - start if n > 1 else 1
             for a, n in enumerate(ids.shape)]
    if min(steps) < 1:
        return None
    expected = start + sum(np.arange(n).reshape([-1 if a == b else 1 for b in range(ids.ndim)]) * step
                           for a, (n, step) in enumerate(zip(ids.shape, steps)))
    if not (ids == expected).all():
        return None
    return np.lib.stride_tricks.as_strided(vector[start:], shape=ids.shape, strides=[s * vector.itemsize for s in steps])


class Scatter:
    """G[rows] += values for a fixed list of rows: a slice where they are consecutive, and
    for rows that repeat one `bincount` (never `np.add.at`, which is many times slower)."""

    __slots__ = ("rows", "targets", "inverse", "owned")

    def __init__(self, rows: ndarray) -> None:
        self.rows = _rows(rows)
        self.owned = False  # consecutive rows no other group adds to: `set` may write them directly
        self.targets = self.inverse = None
        if not _distinct(rows):
            self.targets, self.inverse = np.unique(rows, return_inverse=True)
            self.inverse = self.inverse.ravel()

    def set(self, G: ndarray, product: Callable[..., ndarray], *operands: ndarray) -> None:
        """G[rows] += product(*operands), written straight into G where these rows get nothing else."""
        if self.owned:
            product(*operands, out=G[self.rows])
        else:
            self.add(G, product(*operands))

    def add(self, G: ndarray, values: ndarray) -> None:
        if self.targets is None:
            G[self.rows] += values
            return
        B = values.shape[1]
        where = (self.inverse[:, None] * B + np.arange(B)).ravel()
        G[self.targets] += np.bincount(where, weights=values.ravel(), minlength=len(self.targets) * B).reshape(-1, B)


class Group:
    """Nodes of one op, one number of parents and one depth: one array operation.

    Their rows of V are `start:stop`; `parents` is a (G, k) array of rows.  `needs` says,
    for each parent, whether a gradient must reach it (it leads back to a parameter).
    """

    __slots__ = ("op", "rule", "start", "stop", "parents", "flat", "constants", "pick", "scatter")

    def __init__(self, op: str, start: int, parents: ndarray, constants: ndarray, needs: ndarray) -> None:
        self.op, self.rule = op, grouped(lookup(op).batched)
        self.start, self.stop = start, start + len(parents)
        self.parents, self.constants = parents, constants
        self.flat = _rows(parents.ravel())
        needed = needs.ravel()
        self.pick = None if needed.all() else np.flatnonzero(needed)
        self.scatter = Scatter(parents.ravel()[needed]) if needed.any() else None

    def forward(self, V: ndarray, theta: ndarray, columns: ndarray) -> ndarray:
        """Compute this group's rows of V; return what `backward` needs (the local derivatives)."""
        P = V[self.flat].reshape(*self.parents.shape, -1) if type(self.flat) is slice else V[self.parents]
        out, local = self.rule(P, self.constants)
        V[self.start:self.stop] = out
        return local

    def backward(self, G: ndarray, theta: ndarray, grad: ndarray, local: ndarray) -> None:
        """Add this group's gradient to its parents' rows of G, per example."""
        if self.scatter is None:
            return
        g = G[self.start:self.stop]
        contributions = np.broadcast_to(local * g[:, None, :], (*self.parents.shape, g.shape[1]))
        contributions = contributions.reshape(self.parents.size, -1)
        self.scatter.add(G, contributions if self.pick is None else contributions[self.pick])

    def parts(self, local: ndarray, examples: int) -> list[tuple[str, slice, ndarray, ndarray, ndarray]]:
        """(op, rows, parents, constants, local derivatives per node, parent and example): for error messages."""
        return [(self.op, slice(self.start, self.stop), self.parents, self.constants,
                 np.broadcast_to(local, (*self.parents.shape, examples)))]


class Linear:
    """Weighted sums (`wsum`, `dot`) whose weights (and bias) are parameters: a layer or a convolution.

    A layer's nodes read the same input rows: the forward pass is one matrix product, the
    weights' gradient summed over the batch another.  A convolution's nodes read other rows
    each (its patches) with a few shared filters: the patches are gathered once, the sums
    are one `einsum`, and the filters' gradient is summed over positions and batch at once.
    No local derivatives are stored: they are the weights and the inputs themselves.
    """

    __slots__ = ("op", "start", "stop", "weights", "bias", "inputs", "shared", "pick", "scatter", "parents", "activation",
                 "reads_batch")

    def __init__(self, op: str, start: int, weights: Block, bias: Block | None, inputs: ndarray, needs: ndarray) -> None:
        self.op, self.weights, self.bias = op, weights, bias
        self.start, self.stop = start, start + len(inputs)
        self.shared = bool((inputs == inputs[0]).all())
        self.inputs = _rows(inputs[0]) if self.shared else inputs
        needed = needs[0] if self.shared else needs.ravel()
        self.pick = None if needed.all() else np.flatnonzero(needed)
        self.scatter = Scatter((inputs[0] if self.shared else inputs.ravel())[needed]) if needed.any() else None
        self.parents = inputs  # for error messages
        self.reads_batch = False  # set by the tape where `inputs` is a slice of the batch's input rows
        self.activation: tuple[str, Callable, ndarray, int] | None = None  # (op, its grouped rule, constants, rows)

    def forward(self, V: ndarray, theta: ndarray, columns: ndarray) -> tuple[ndarray, ndarray | None]:
        """Compute this group's rows of V (a layer reading the inputs reads them from the batch's
        `columns`); return what `backward` needs."""
        W = self.weights.read(theta)
        out = V[self.start:self.stop]
        X = columns[self.inputs] if self.reads_batch else V[self.inputs]
        if self.shared:
            np.matmul(W, X, out=out)
        else:
            np.einsum("gn,gnb->gb", W, X, out=out)
        if self.bias is not None:
            out += self.bias.read(theta)[:, None]
        if self.activation is None:
            return X, None
        _, rule, constants, start = self.activation
        activated, local = rule(out, *(constants[:, j] for j in range(constants.shape[1])))
        V[start:start + len(out)] = activated
        return X, local

    def backward(self, G: ndarray, theta: ndarray, grad: ndarray, saved: tuple) -> None:
        X, local = saved
        if self.activation is None:
            g = G[self.start:self.stop]
        else:
            start = self.activation[3]
            g = local * G[start:start + self.stop - self.start]
        W = self.weights.read(theta)
        if self.shared:
            self.weights.set(grad, np.matmul, g, X.T)
            if self.scatter is not None:
                self.scatter.set(G, np.matmul, W.T if self.pick is None else W[:, self.pick].T, g)
        else:
            self.weights.add(grad, np.einsum("gb,gnb->gn", g, X))
            if self.scatter is not None:
                dX = (W[:, :, None] * g[:, None, :]).reshape(W.size, -1)
                self.scatter.add(G, dX if self.pick is None else dX[self.pick])
        if self.bias is not None:
            self.bias.set(grad, np.add.reduce, g, 1)

    def parts(self, saved: tuple, examples: int) -> list[tuple[str, slice, ndarray, ndarray, ndarray]]:
        # a weighted sum's slopes are its weights and inputs: finite where its result is
        parts = [(self.op, slice(self.start, self.stop), self.parents, np.zeros((len(self.parents), 0, 1)), np.zeros(1))]
        if self.activation is not None:
            op, _, constants, start = self.activation
            rows = np.arange(self.start, self.stop)[:, None]
            parts.append((op, slice(start, start + len(rows)), rows, constants,
                          np.broadcast_to(saved[1], (len(rows), examples))[:, None]))
        return parts

    def fuse(self, op: str, constants: ndarray, start: int) -> None:
        """Apply the one-parent op `op` to every sum as it is made (bias and activation in one
        group), writing the results to rows `start`...; the sums' own rows are read by nothing else."""
        entry = lookup(op).batched
        rule = entry.rule if entry.elementwise else grouped(entry)
        self.activation = (op, rule if entry.elementwise else _one_column(rule), constants, start)


def _one_column(rule: Callable) -> Callable:
    """A non-elementwise rule of one parent as an elementwise one: (x (G, B), *constants) -> (results, slopes (G, B))."""

    def forward(x: ndarray, *constants: ndarray) -> tuple[ndarray, ndarray]:
        c = np.stack(constants, axis=1) if constants else np.zeros((len(x), 0, 1))
        out, slopes = rule(x[:, None, :], c)
        return out, np.broadcast_to(slopes, (*out.shape[:1], 1, out.shape[1]))[:, 0]

    return forward


def _distinct(rows: ndarray) -> bool:
    """Whether no row (a non-negative integer) appears twice."""
    return not rows.size or int(np.bincount(rows.ravel()).max()) == 1


def _rows(rows: ndarray) -> ndarray | slice:
    """Consecutive rows as a slice (a view: much faster to read and add to than a row list)."""
    if len(rows) and (rows == np.arange(rows[0], rows[0] + len(rows))).all():
        return slice(int(rows[0]), int(rows[0]) + len(rows))
    return rows


class Tape:
    """A traced graph, run over a batch: `forward(*batch)` then `backward()`.

    `theta` holds the parameters' values for a run, `grad` their gradient after `backward`
    (both are this tape's own vectors, updated in place; `forward` copies `p.data` in).
    """

    def __init__(self, tape: list[Entry], outputs: list[int], params: Sequence[Value],
                 shapes: list[tuple[int, ...]]) -> None:
        self.params = list(params)
        self.shapes = shapes
        self.nodes = len(tape)
        self.theta, self.grad = np.zeros(len(self.params)), np.zeros(len(self.params))
        depth = [0] * len(tape)
        needs = [entry.op == "param" for entry in tape]  # leads back to a parameter: a gradient must reach it
        keys: dict[tuple, list[int]] = {}
        for i, entry in enumerate(tape):
            if entry.op not in LEAVES:
                depth[i] = 1 + max(depth[p] for p in entry.parents)
                needs[i] = any(needs[p] for p in entry.parents)
                keys.setdefault((depth[i], entry.op, len(entry.parents), len(entry.constants)), []).append(i)
        grouped = [keys[key] for key in sorted(keys, key=lambda key: (key[0], keys[key][0]))]
        linear = [_is_linear(tape, members) for members in grouped]
        # parameters that a group reads as an ordinary operand get rows of V
        operands = sorted({p for members, lin in zip(grouped, linear) if not lin for i in members
                           for p in tape[i].parents if tape[p].op == "param"} | {i for i in outputs if tape[i].op == "param"},
                          key=lambda i: tape[i].constants[0])
        inputs = sorted((i for i, e in enumerate(tape) if e.op == "input"), key=lambda i: tape[i].constants[0])
        constants = [i for i, e in enumerate(tape) if e.op == "constant"]
        order = inputs + constants + operands + [i for members in grouped for i in members]
        row = {i: r for r, i in enumerate(order)}
        row_of = np.zeros(len(tape), dtype=np.intp)  # by tape index: the row, the parameter, whether a gradient is needed
        row_of[order] = np.arange(len(order))
        param_of = np.array([e.constants[0] if e.op == "param" else -1 for e in tape], dtype=np.intp)
        needs_of = np.array(needs, dtype=bool)
        self.input_ids = np.array([int(tape[i].constants[0]) for i in inputs], dtype=np.intp)
        self.input_order = _rows(self.input_ids)  # a slice (a view of the batch) when every input is read
        self.constant_rows = slice(len(inputs), len(inputs) + len(constants))
        self.constant_values = np.array([tape[i].constants[0] for i in constants], dtype=float)[:, None]
        self.operand_rows = slice(self.constant_rows.stop, self.constant_rows.stop + len(operands))
        self.operand_ids = np.array([int(tape[i].constants[0]) for i in operands], dtype=np.intp)
        self.parameters_used = sorted({int(e.constants[0]) for e in tape if e.op == "param"})
        self.groups: list[Group | Linear] = []
        start = self.operand_rows.stop
        for members, lin in zip(grouped, linear):
            entry = tape[members[0]]
            parents = np.array([tape[i].parents for i in members], dtype=np.intp)
            if lin:
                n = (parents.shape[1] - (entry.op == "wsum")) // 2
                bias = Block(param_of[parents[:, -1]], self.theta, self.grad) if entry.op == "wsum" else None
                group: Group | Linear = Linear(entry.op, start, Block(param_of[parents[:, :n]], self.theta, self.grad),
                                               bias, row_of[parents[:, n:2 * n]], needs_of[parents[:, n:2 * n]])
            else:
                constants_array = np.array([tape[i].constants for i in members], dtype=float).reshape(len(members), -1, 1)
                group = Group(entry.op, start, row_of[parents], constants_array, needs_of[parents])
            self.groups.append(group)
            start += len(members)
        self.rows = start
        readers = _readers(tape, outputs)
        fused = _fuse(readers, tape, grouped, self.groups)
        for group in self.groups:  # a layer alone in reading its input rows writes their gradient directly
            if isinstance(group, Linear) and group.shared and group.scatter is not None and group.pick is None:
                rows = group.scatter.rows
                group.scatter.owned = type(rows) is slice and all(
                    readers[order[r]] == group.stop - group.start for r in range(rows.start, rows.stop))
        needed = [any(needs[i] for i in members) for k, members in enumerate(grouped) if k not in fused]
        self.groups = [group for k, group in enumerate(self.groups) if k not in fused]
        self.copy_inputs = (_read_batch_directly(self.groups, len(inputs)) or any(row[i] < len(inputs) for i in outputs)
                            if type(self.input_order) is slice else True)
        owned = _own(self.groups, len(self.params), self.operand_ids)
        self.grad_written = bool(owned.all())  # every gradient entry is overwritten by `gradient`: no zeroing
        self.backward_order = [k for k in reversed(range(len(self.groups))) if needed[k]]
        self.outputs = np.array([row[i] for i in outputs], dtype=np.intp)
        self.output_rows = _rows(self.outputs)  # a slice where consecutive: `run` returns a view of V
        self.seed = Scatter(self.outputs)
        self.values: ndarray | None = None
        self.columns: ndarray | None = None
        self.saved: list[ndarray] = []

    def __repr__(self) -> str:
        return (f"Tape({self.nodes} nodes: {len(self.parameters_used)} parameters, {len(self.input_ids)} inputs, "
                f"{len(self.constant_values)} constants, {len(self.groups)} array operations; "
                f"{len(self.outputs)} output{'s' * (len(self.outputs) != 1)})")

    def forward(self, *batch: Any) -> ndarray:
        """The outputs for every example of `batch` (one array per argument of fn), shape (outputs, examples).

        Reads the parameters' `data`; raises where the scalar engine would (naming the op and example).
        """
        columns = self._columns(batch)
        needed, room = BYTES_PER_CELL * self.rows * columns.shape[1], available_memory()
        if room is not None and needed > room:  # refused before it is allocated, not a MemoryError deep in NumPy
            raise MemoryError(f"Tape.forward: a batch of {columns.shape[1]:,} examples needs about {needed / 2**30:,.1f} GiB "
                              f"({self.rows:,} values per example, and their gradients), more than the "
                              f"{room / 2**30:,.1f} GiB available; pass smaller batches")
        self.theta[:] = [p.data for p in self.params]
        outputs = self.run(columns)
        self.check()
        return outputs.copy()

    __call__ = forward

    def run(self, columns: ndarray) -> ndarray:
        """The forward pass on `columns` (inputs x examples, checked by the caller) with the parameters
        in `theta`, unchecked: inf and nan propagate (see `check`).  Returns the outputs."""
        V = np.empty((self.rows, columns.shape[1]))
        columns = self.columns = columns[self.input_order]
        if self.copy_inputs:
            V[:len(self.input_ids)] = columns
        if len(self.constant_values):
            V[self.constant_rows] = self.constant_values
        if len(self.operand_ids):
            V[self.operand_rows] = self.theta[self.operand_ids, None]
        with np.errstate(all="ignore"):  # the engine raises where a rule gives inf or nan: see `check`
            self.saved = [group.forward(V, self.theta, columns) for group in self.groups]
        self.values = V
        return V[self.output_rows]

    def check(self) -> None:
        """Raise as the scalar engine would have if the last run made a value or slope inf or nan."""
        V = self.values
        if not (np.isfinite(V).all() and all(np.isfinite(part[4]).all() for g, s in zip(self.groups, self.saved)
                                              for part in g.parts(s, V.shape[1]))):
            self._not_finite(V)
            raise ValueError("Tape: a value is not a finite number")  # not reached: _not_finite names it

    def backward(self, grad_outputs: Any = None) -> ndarray:
        """Add d(sum over the batch of grad_outputs * outputs)/dp to every parameter's `grad`.

        `grad_outputs` has the shape of `forward`'s result; by default all ones, so each
        parameter gets the sum over the batch of d(output)/dp.  Returns those gradients.
        """
        if self.values is None:
            raise RuntimeError(Message("Tape.backward: call forward() first"))
        examples = self.values.shape[1]
        seed = np.ones((len(self.outputs), examples)) if grad_outputs is None else np.asarray(grad_outputs, dtype=float)
        if seed.shape != (len(self.outputs), examples):
            raise ValueError(Message("Tape.backward: grad_outputs must have shape {shape}, got {got}",
                                     shape=(len(self.outputs), examples), got=seed.shape))
        grads = self.gradient(seed).copy()
        bad = np.flatnonzero(~np.isfinite(grads))
        if len(bad):
            raise OverflowError(Message("Tape.backward: the gradient of parameter {i} is {grad!r}, not a finite "
                                           "number (it overflows the float range)", i=bad[0], grad=grads[bad[0]]))
        totals = [p.grad + g for p, g in zip(self.params, grads.tolist())]
        bad = [i for i, total in enumerate(totals) if total - total != 0]  # inf or nan
        if bad:  # a grad summed over several calls: refused before any grad changes, as backward() does
            raise OverflowError(Message("Tape.backward: the gradient of parameter {i} summed with its grad so far "
                                           "({grad!r}) is {total!r}, not a finite number; zero the grads",
                                        i=bad[0], grad=self.params[bad[0]].grad, total=totals[bad[0]]))
        for p, total in zip(self.params, totals):
            p.grad = total
        return grads

    def gradient(self, seed: ndarray) -> ndarray:
        """d(sum of seed * outputs)/dtheta after `run`, into `grad` (returned; not checked)."""
        V = self.values
        G = np.zeros(V.shape)  # calloc: pages never written cost nothing
        self.seed.add(G, seed)
        if not self.grad_written:
            self.grad[:] = 0.0
        with np.errstate(all="ignore"):
            for k in self.backward_order:
                self.groups[k].backward(G, self.theta, self.grad, self.saved[k])
        if len(self.operand_ids):
            self.grad[self.operand_ids] += G[self.operand_rows].sum(axis=1)
        return self.grad

    def _columns(self, batch: Sequence[Any]) -> ndarray:
        """The batch as one (inputs, examples) array, checked against the traced shapes."""
        if len(batch) != len(self.shapes):
            raise ValueError(Message("Tape: expected {expected} input arrays (one per argument of fn), got {got}",
                                     expected=len(self.shapes), got=len(batch)))
        arrays = [real_array(a, f"Tape: input {i}") for i, a in enumerate(batch)]
        examples = len(arrays[0]) if arrays and arrays[0].ndim else 0
        for i, (a, shape) in enumerate(zip(arrays, self.shapes)):
            if a.shape != (examples, *shape) or not examples:
                raise ValueError(Message("Tape: input {i} must have shape (examples, {shape}) like the traced example, with "
                                         "examples >= 1 and the same for every input; got {got}", i=i,
                                         shape=", ".join(map(str, shape)), got=a.shape))
        if not arrays:
            return np.empty((0, 1))
        return np.concatenate([a.reshape(examples, -1) for a in arrays], axis=1).T

    def _not_finite(self, V: ndarray) -> None:
        """Raise as the scalar engine would have, naming the first op and example that went wrong."""
        V[:len(self.input_ids)] = self.columns  # layers read them from the batch: here they are operands to name
        bad = np.flatnonzero(~np.isfinite(self.theta))
        if len(bad):
            raise OverflowError(Message("Tape: parameter {i} is {value!r}, not a finite number",
                                        i=bad[0], value=self.theta[bad[0]]))
        parts = [part for group, saved in zip(self.groups, self.saved) for part in group.parts(saved, V.shape[1])]
        for op, rows, parents, constants, slopes in sorted(parts, key=lambda part: part[1].start):  # in graph order
            for what, values in ((N_("{op}: the result on {operands} (example {example}) is {value!r}, not a finite "
                                     "number"), V[rows]),
                                 (N_("{op}: the slope on {operands} (example {example}) is {value!r}, not a finite "
                                     "number"), slopes)):
                where = np.argwhere(~np.isfinite(values))
                if len(where):
                    g, *_, b = where[0]
                    operands = ", ".join(repr(float(V[r, b])) for r in parents[g])
                    numbers = [float(c) for c in constants[g, :, 0]]
                    bad_value = float(values[tuple(where[0])])
                    if numbers:
                        operands = Message("{operands} and {numbers}", operands=operands, numbers=numbers)
                    raise (ValueError if math.isnan(bad_value) else OverflowError)(Message(
                        what, op=op, operands=operands, example=b, value=bad_value))


def _readers(tape: list[Entry], outputs: list[int]) -> list[int]:
    """How many times each node is read: as a parent, or as an output."""
    readers = [0] * len(tape)
    for entry in tape:
        for p in entry.parents:
            readers[p] += 1
    for i in outputs:
        readers[i] += 1
    return readers


def _fuse(readers: list[int], tape: list[Entry], grouped: list[list[int]], groups: list[Group | Linear]) -> set[int]:
    """Fold each one-parent group that reads exactly a linear group's sums, and is their only
    reader (a layer's activation), into that linear group; return the folded groups' indices."""
    owner = {members[0]: k for k, (members, group) in enumerate(zip(grouped, groups)) if isinstance(group, Linear)}
    fused = set()
    for k, (members, group) in enumerate(zip(grouped, groups)):
        if not isinstance(group, Group) or group.parents.shape[1] != 1:
            continue
        sources = [tape[i].parents[0] for i in members]
        source = owner.pop(sources[0], None)
        if source is None or grouped[source] != sources or any(readers[i] != 1 for i in sources):
            continue
        groups[source].fuse(group.op, group.constants, group.start)
        fused.add(k)
    return fused


def _read_batch_directly(groups: list[Group | Linear], inputs: int) -> bool:
    """Let each layer that reads only input rows (as a slice) read them from the batch; return
    whether any other group reads input rows, so that they must be copied into V."""
    copy = False
    for group in groups:
        if isinstance(group, Linear) and group.shared and type(group.inputs) is slice and group.inputs.stop <= inputs:
            group.reads_batch = True
        elif (group.parents < inputs).any():
            copy = True
    return copy


def _own(groups: list[Group | Linear], parameters: int, operands: ndarray) -> ndarray:
    """Mark each parameter block (a strided view) whose parameters no other block or group reads;
    return which parameters such blocks cover."""
    blocks = [b for g in groups if isinstance(g, Linear) for b in (g.weights, g.bias) if b is not None]
    readers = np.bincount(np.concatenate([b.ids.ravel() for b in blocks] + [operands]), minlength=parameters)
    owned = np.zeros(parameters, dtype=bool)
    for block in blocks:
        block.owned = block.gview is not None and bool((readers[block.ids] == 1).all())
        owned[block.ids] |= block.owned
    return owned


def _is_linear(tape: list[Entry], members: list[int]) -> bool:
    """Whether a group is weighted sums of parameter weights (and bias) over non-parameter inputs."""
    entry = tape[members[0]]
    if entry.op not in ("wsum", "dot") or entry.constants:
        return False
    bias = entry.op == "wsum"
    n = (len(entry.parents) - bias) // 2
    if n < 1:
        return False
    for i in members:
        parents = tape[i].parents
        if not (all(tape[p].op == "param" for p in parents[:n]) and not any(tape[p].op == "param" for p in parents[n:2 * n])
                and (not bias or tape[parents[-1]].op == "param")):
            return False
    return True


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
        raise ValueError(Message("{who} must be an array of real numbers: {why}", who=who, why=shown(str(why), 120))) from None
    if array.dtype.kind not in "biuf":
        raise ValueError(Message("{who} must hold real numbers (float, int or bool), got an array of {dtype}",
                                 who=who, dtype=array.dtype))
    array = array.astype(float, copy=False)
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        raise ValueError(Message("{who} holds a value that is not finite: {value!r} (at {at})", who=who,
                                 value=float(array[tuple(bad[0])]), at=tuple(int(i) for i in bad[0])))
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
        raise ValueError(Message("compile: params must be distinct Values (model.parameters())"))
    computed = next((i for i, p in enumerate(params) if p.parents), None)
    if computed is not None:  # its gradient would stop at it, and an optimiser's update would be lost
        raise ValueError(Message("compile: params[{i}] ({param!r}) is computed by the op {op!r}, not a leaf; parameters "
                                 "are leaf Values (model.parameters())", i=computed, param=params[computed],
                                 op=params[computed].op))
    arrays = [real_array(a, Message("compile: batch array {i}", i=i)) for i, a in enumerate(batch)]
    sizes = {len(a) if a.ndim else 0 for a in arrays}
    if len(sizes) > 1 or 0 in sizes:
        raise ValueError(Message("compile: every array of the batch needs the same number of examples (>= 1), got {sizes}",
                                 sizes=sorted(sizes)))
    examples = sizes.pop() if sizes else 1
    entries = parameter_entries(params)
    first = trace(fn, params, [a[0].tolist() for a in arrays], entries)
    for b in sorted({1, examples // 2, examples - 1} & set(range(1, examples)))[:checks]:
        other = trace(fn, params, [a[b].tolist() for a in arrays], entries)
        if other != first:
            raise ValueError(Message("compile: the graph depends on the data ({difference}): fn branches on .data, takes a "
                                     "constant from it, or draws random numbers (Dropout in training mode), so a tape "
                                     "traced once cannot replay it. Choose with Value ops (relu, max, clamp) instead, or "
                                     "pass the number as an input", difference=_difference(first, other, b)))
    return Tape(*first, params, [a.shape[1:] for a in arrays])
