"""`stepgrad explain`: compute an expression, then tell its backward pass node by node.

The expression is parsed with `ast` and the whole tree is checked against a whitelist
before anything is computed: numbers, names, `+ - * / **`, unary minus, and calls of the
engine's functions.  It never reaches `eval` or `exec`, so `__import__('os').system(...)`
is refused like any other call that is not on the list.
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
from pathlib import Path
from typing import Callable, Mapping, Sequence, Union

from autograd.draw import draw_graph, drawing_path, graph_nodes, node_names, number, render_all
from autograd.ops import explained, lookup
from autograd.steps import Stepper, formula
from autograd.value import Value, shown

from ..files import check_writable

Operand = Union[Value, float]

# The functions offered: the table's operations marked `explain` (autograd.operation can add one).
FUNCTIONS: Mapping[str, Callable[..., Value]] = explained
OPERATORS: dict[type, Callable[[Operand, Operand], Value]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
# Python's parser recurses once per operation and stops near 3,000 (everything after it here
# is iterative); it allows 200 nested brackets.
TOO_DEEP = "the expression is too long or nested too deeply for Python's parser (at most about 2,900 operations in a chain)"
ALLOWED = (ast.Expression, ast.Constant, ast.Name, ast.Load, ast.BinOp, ast.UnaryOp, ast.USub, ast.Call, *OPERATORS)


def explain(expression: str, assignments: Sequence[str], *, svg: str | None = None, png: str | None = None,
            html: str | None = None) -> str:
    """The forward pass, every backward step's sentence and the inputs' gradients, as text,
    ending with a line for each file written.

    `assignments` are `NAME=VALUE` strings, one for each name in `expression`.  With `svg`
    or `png` the graph's drawing is also written to that file; with `html`, every step as
    one web page to click through (`Stepper.save_html`).  Every mistake in the input
    raises ValueError (or the engine's own error, such as ZeroDivisionError) with one line
    saying what is wrong.  The files are checked before anything is computed, and nothing is
    written unless every drawing could be made.
    """
    outputs = output_paths(svg=svg, png=png)
    page = None if html is None else page_path(html)
    values = parse_assignments(assignments)
    tree = parse(expression, values)
    inputs: dict[str, Value] = {}  # in the order they appear
    root = _evaluate(tree, values, inputs, expression.strip())
    if not isinstance(root, Value):
        raise ValueError("the expression has no names, so nothing to differentiate: use at least one NAME")
    stepper = Stepper(root)
    steps = stepper.steps
    if outputs:
        render_all(draw_graph(root), outputs)
    if page is not None:
        stepper.save_html(page, title=f"stepgrad explain {expression.strip()}")

    nodes = graph_nodes(root)
    names = node_names(nodes)
    lines = ["forward pass:"]
    for node in nodes:
        if node.parents:
            lines.append(f"  {names[node]} = {formula(node, names)} = {number(node.data)}")
        elif node.label:
            lines.append(f"  {names[node]} = {number(node.data)}")
    count = f"{len(steps)} step" + ("" if len(steps) == 1 else "s")
    lines += ["", f"backward pass ({count}, {names[root]}.grad starts at 1; each step: input.grad += "
                  f"local slope * the node's grad):"]
    lines += [f"  {step.index + 1}. {step.explain()}" for step in steps]
    width = max(4, *(len(name) for name in inputs))
    lines += ["", "gradients:", f"  {'name':<{width}} {'value':>12} {'grad':>12}"]
    lines += [f"  {name:<{width}} {number(leaf.data):>12} {number(leaf.grad):>12}" for name, leaf in inputs.items()]
    written = [path for path, _ in outputs] + ([] if page is None else [page])
    lines += [""] * bool(written) + [f"wrote {path}" for path in written]
    return "\n".join(lines)


def page_path(path: str) -> Path:
    """Where `--html` writes, checked before anything is computed: an .html file in a folder that exists."""
    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"--html needs a file name ending in .html, got {path!r}")
    return check_writable(path)


def output_paths(**paths: str | None) -> list[tuple[Path, str]]:
    """The drawings asked for, as `(path, format)`, once each path is known to be writable:
    a file name with the format's suffix (`svg="n.svg"`), in a folder that exists."""
    outputs = []
    for format, path in paths.items():
        if path is None:
            continue
        if Path(path).suffix.lower() != f".{format}":
            raise ValueError(f"--{format} needs a file name ending in .{format}, got {path!r}")
        outputs.append(drawing_path(path, format))
    return outputs


def parse_assignments(assignments: Sequence[str]) -> dict[str, float]:
    """`["x=2", "w=-3"]` as `{"x": 2.0, "w": -3.0}`, or a ValueError naming the bad one."""
    values: dict[str, float] = {}
    for text in assignments:
        name, equals, value = (part.strip() for part in text.partition("="))
        if not equals:
            raise ValueError(f"{shown(text)} is not NAME=VALUE (for example x=2)")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"{shown(name)} in {shown(text)} is not a valid name")
        if name in FUNCTIONS:
            raise ValueError(f"{name!r} is a function, so it cannot also be a name; pick another")
        if name in values:
            raise ValueError(f"{shown(name)} is given a value twice")
        try:
            values[name] = float(value)
        except ValueError:
            raise ValueError(f"the value of {shown(name)} must be a number, got {shown(value)}") from None
        if not math.isfinite(values[name]):
            raise ValueError(f"the value of {shown(name)} must be a finite number, got {shown(value)}")
    return values


def parse(expression: str, values: dict[str, float]) -> ast.Expression:
    """The syntax tree of `expression`, once every part of it is known to be allowed."""
    source = expression.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        too_long = "integer string conversion" in error.msg  # Python's words for a 4,301-digit literal
        why = "a number has more than 4,300 digits, far too many for a float" if too_long else error.msg
        raise ValueError(f"invalid expression {shown(source)}: {why}") from None
    except (RecursionError, MemoryError):
        raise ValueError(TOO_DEEP) from None
    callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):  # parents before children, so the outermost offence is named
        bad_operator = isinstance(node, ast.BinOp) and type(node.op) not in OPERATORS
        if bad_operator or isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub):
            raise ValueError(f"the operator in {_text(node, source)} is not allowed: only + - * / ** and unary minus")
        if not isinstance(node, ALLOWED):
            what = "attribute access" if isinstance(node, ast.Attribute) else "the expression"
            raise ValueError(f"{what} {_text(node, source)} is not allowed: only numbers, names, + - * / **, "
                             f"unary minus and the functions {', '.join(FUNCTIONS)}")
        if isinstance(node, ast.Call):
            _check_call(node, source)
        elif isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            raise ValueError(f"{shown(node.value)} is not a number")
        elif isinstance(node, ast.Name) and id(node) not in callees:
            if node.id in FUNCTIONS:
                raise ValueError(f"{node.id!r} is a function: call it, as in {node.id}(x)")
            if node.id not in values:
                raise ValueError(f"no value for {shown(node.id)}: add {_short(node.id)}=NUMBER")
    unused = values.keys() - {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    if unused:
        raise ValueError(f"{_short(', '.join(sorted(unused)))} not in the expression {shown(source)}")
    return tree


def _check_call(call: ast.Call, source: str) -> None:
    name = call.func.id if isinstance(call.func, ast.Name) else None
    if name not in FUNCTIONS:
        raise ValueError(f"cannot call {_text(call.func, source)}: the functions are {', '.join(FUNCTIONS)}")
    entry = lookup(name)
    inputs, optional = entry.inputs or (), entry.const  # the plain numbers may be left out
    if call.keywords or not len(inputs) <= len(call.args) <= len(inputs) + len(optional):
        wanted = f"{name}({', '.join(inputs)})" + (f" or {name}({', '.join(inputs + optional)})" if optional else "")
        raise ValueError(f"{_text(call, source)}: call it as {wanted}")
    for what, arg in zip(optional, call.args[len(inputs) :]):
        if any(isinstance(part, ast.Name) for part in ast.walk(arg)):
            raise ValueError(f"the {what} of {_text(call, source)} must be a plain number")


def _text(node: ast.AST, source: str) -> str:
    """The source of `node`, short and quoted, for a one-line message.  Read from the source
    text, not rebuilt with `ast.unparse`, which recurses and fails on deep trees."""
    return shown(ast.get_source_segment(source, node) or type(node).__name__)


def _short(text: str) -> str:
    """`text`, cut to fit in a one-line error message."""
    return text if len(text) <= 40 else text[:37] + "..."


def _evaluate(tree: ast.Expression, values: dict[str, float], inputs: dict[str, Value], source: str) -> Operand:
    """The value of a checked tree: a Value where it depends on a name, else a plain number.

    Iterative (a stack of nodes still to compute), so no depth is too deep.  Plain-number
    parts go through the engine too (and are then unwrapped), so `log(0)` and
    `(-8) ** 0.5` fail with the engine's own messages.
    """
    results: list[Operand] = []
    todo: list[tuple[ast.expr, bool]] = [(tree.body, False)]
    while todo:
        node, operands_ready = todo.pop()
        if isinstance(node, ast.Constant):
            results.append(_float(node.value))
        elif isinstance(node, ast.Name):
            if node.id not in inputs:
                inputs[node.id] = Value(values[node.id], label=node.id)
            results.append(inputs[node.id])
        elif not operands_ready:  # its operands first, left to right, then the node itself
            todo.append((node, True))
            todo.extend((operand, False) for operand in reversed(_operands(node)))
        else:
            count = len(_operands(node))
            args = results[-count:]
            del results[-count:]
            results.append(_apply(node, args, source))
    return results[0]


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    assert isinstance(node, ast.Call)
    return node.args


def _apply(node: ast.expr, args: list[Operand], source: str) -> Operand:
    if isinstance(node, ast.UnaryOp):
        return _engine(operator.neg, *args)
    if isinstance(node, ast.BinOp):
        return _engine(OPERATORS[type(node.op)], *args)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return _engine(FUNCTIONS[node.func.id], *args)


def _engine(function: Callable[..., Value], first: Operand, *rest: Operand) -> Operand:
    """`function(first, *rest)`, with a plain number `first` made a Value and unwrapped after
    if nothing else was a Value (a constant part of the expression stays a number)."""
    if isinstance(first, Value) or any(isinstance(x, Value) for x in rest):
        return function(first, *rest)
    return function(Value(first), *rest).data


def _float(x: int | float) -> float:
    try:
        number = float(x)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"the number {shown(x)} is too large for a float")
    return number
