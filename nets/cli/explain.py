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
import re
from pathlib import Path
from typing import Callable, Mapping, Sequence, Union

from autograd import texts
from autograd.draw import draw_graph, drawing_path, number, render_all
from autograd.files import check_writable
from autograd.i18n import N_, gettext as _, language, ngettext, pad
from autograd.ops import explained, lookup
from autograd.steps import TOLERANCE, formula
from autograd.stepview import Stepper
from autograd.value import Value, shown

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
TOO_DEEP = N_("the expression is too long or nested too deeply for Python's parser (at most about 2,900 operations in a chain)")
# Python's parser's words for the slips a learner makes, for the catalogue (others stay Python's own)
SYNTAX_ERRORS = (
    (re.compile(r"invalid syntax"), N_("invalid syntax")),
    (re.compile(r"invalid syntax\. Perhaps you forgot a comma\?"), N_("invalid syntax: is a comma or an operator missing?")),
    (re.compile(r"'(?P<bracket>.)' was never closed"), N_("'{bracket}' was never closed")),
    (re.compile(r"unmatched '(?P<bracket>.)'"), N_("unmatched '{bracket}'")),
    (re.compile(r"closing parenthesis '(?P<closing>.)' does not match opening parenthesis '(?P<opening>.)'"),
     N_("closing bracket '{closing}' does not match opening bracket '{opening}'")),
    (re.compile(r"invalid decimal literal"), N_("invalid decimal literal (a number runs into a name?)")),
    (re.compile(r"unterminated string literal \(detected at line \d+\)"), N_("unterminated string literal")),
)
ALLOWED = (ast.Expression, ast.Constant, ast.Name, ast.Load, ast.BinOp, ast.UnaryOp, ast.USub, ast.Call, *OPERATORS)


def explain(expression: str | None, assignments: Sequence[str], *, svg: str | None = None, png: str | None = None,
            html: str | None = None, lang: str | None = None, quiz: bool = False, network: str | None = None,
            ask: Callable[[str], str] | None = None, say: Callable[[str], None] = print) -> str:
    """The forward pass, every backward step's sentence and the inputs' gradients, as text,
    ending with a line for each file written.

    `assignments` are `NAME=VALUE` strings, one for each name in `expression`; or, instead
    of an expression, `network` names one of the hand-worked networks (`2-2-2`, `2-4-1`).
    With `svg` or `png` the graph's drawing is also written to that file; with `html`, every
    step as one web page to click through (`Stepper.save_html`, a quiz page with `quiz`).
    With `quiz` and no `html`, the backward pass is a quiz in the terminal: `ask(prompt)`
    reads each answer (`input` by default) and `say` prints the rest as it goes.  Every mistake in the input
    raises ValueError (or the engine's own error, such as ZeroDivisionError) with one line
    saying what is wrong.  The files are checked before anything is computed, and nothing is
    written unless every drawing could be made.  `lang` is the language of the words (the
    formulas, names and numbers stay as they are); default: the language in force.
    """
    with language(lang):
        return _explained(expression, assignments, svg=svg, png=png, html=html, quiz=quiz, network=network,
                          ask=ask or input, say=say)


def _explained(expression: str | None, assignments: Sequence[str], *, svg: str | None, png: str | None,
               html: str | None, quiz: bool, network: str | None, ask: Callable[[str], str],
               say: Callable[[str], None]) -> str:
    outputs = output_paths(svg=svg, png=png)
    page = None if html is None else page_path(html)
    root, inputs, params, title = _graph(expression, assignments, network)
    stepper = Stepper(root, params=params, quiz=quiz)
    steps = stepper.steps
    if outputs:
        render_all(draw_graph(root, params=params), outputs)
    if page is not None:
        stepper.save_html(page, title=title)

    names = stepper.walk.names
    lines = [_("forward pass:")]
    for node in stepper.walk.nodes:
        if node.parents:
            lines.append(f"  {names[node]} = {formula(node, names)} = {number(node.data)}")
        elif node.label:
            lines.append(f"  {names[node]} = {number(node.data)}")
    count = ngettext("{n} step", "{n} steps", len(steps)).format(n=len(steps))
    lines += ["", _("backward pass ({count}, {out}.grad starts at 1; each step: input.grad += "
                    "local slope * the node's grad):").format(count=count, out=names[root])]
    if quiz and page is None:
        say("\n".join(lines))
        lines = ["", run_quiz(stepper, ask, say)]
    else:
        lines += [f"  {step.index + 1}. {step.explain()}" for step in steps]
    width = max(4, *(len(name) for name in inputs))
    heading = pad(_("name"), width) + " " + pad(_("value"), 12, right=True) + " " + pad(_("grad"), 12, right=True)
    lines += ["", _("gradients:"), "  " + heading]
    lines += [f"  {name:<{width}} {number(leaf.data):>12} {number(leaf.grad):>12}" for name, leaf in inputs.items()]
    written = [path for path, _format in outputs] + ([] if page is None else [page])
    lines += [""] * bool(written) + [_("wrote {path}").format(path=path) for path in written]
    return "\n".join(lines)


def _graph(expression: str | None, assignments: Sequence[str], network: str | None
           ) -> tuple[Value, dict[str, Value], dict[str, Value], str]:
    """The output to explain, its named inputs, the parameters to name, and the page's title."""
    if network is not None:
        from ..handworked import NETWORKS

        if expression is not None or assignments:
            raise ValueError(_("--network builds its own graph: give no expression and no NAME=VALUE with it"))
        if network not in NETWORKS:
            raise ValueError(_("--network must be one of {choices}, got {network}").format(
                choices=", ".join(NETWORKS), network=shown(network)))
        root, params = NETWORKS[network]()
        return root, params, params, f"stepgrad explain --network {network}"
    if expression is None:
        raise ValueError(_("give an expression to explain (or --network 2-2-2 or 2-4-1)"))
    values = parse_assignments(assignments)
    tree = parse(expression, values)
    inputs: dict[str, Value] = {}  # in the order they appear
    root = _evaluate(tree, values, inputs, expression.strip())
    if not isinstance(root, Value):
        raise ValueError(_("the expression has no names, so nothing to differentiate: use at least one NAME"))
    return root, inputs, {}, f"stepgrad explain {expression.strip()}"


def run_quiz(stepper: Stepper, ask: Callable[[str], str], say: Callable[[str], None]) -> str:
    """The backward pass as a quiz on the terminal: for each step, the local derivative and
    the new grad of one input, a hint naming the rule after a wrong answer and a second try,
    then the step's sentence.  Ends early, with the score so far, when the input ends."""
    say(texts.QUIZ_INTRO.format(tolerance=texts.tolerance_text(*TOLERANCE)))
    right = asked = 0
    for number_, step in enumerate(stepper.shown, 1):
        q, names = step.question(), step.walk.names
        o = names[step.node]
        say(f"\n{texts.backward_heading(number_, len(stepper.shown))}: {o} = {formula(step.node, names)}")
        for attempt in range(2):
            try:
                local = _answer(ask, say, texts.quiz_local(o, q.name) + " ")
                grad = _answer(ask, say, texts.quiz_grad(q.name) + " ")
            except EOFError:
                return texts.quiz_done(right, asked)
            if q.check(local, grad):
                say(texts.quiz_right())
                right += 1
                break
            if attempt == 0:
                say(texts.quiz_hint(o, formula(step.node, names), q.name, q.slope))
        else:
            say(texts.quiz_wrong(number(q.local), number(q.grad)))
        asked += 1
        say(f"  {step.explain()}")
        say(texts.score(right, asked))
    return texts.quiz_done(right, asked)


def _answer(ask: Callable[[str], str], say: Callable[[str], None], prompt: str) -> float:
    """A number read with `ask`, asked again until it is one; EOFError when the input ends."""
    while True:
        text = ask(prompt)
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return value
        say(texts.quiz_not_a_number())


def page_path(path: str) -> Path:
    """Where `--html` writes, checked before anything is computed: an .html file in a folder that exists."""
    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise ValueError(_("--html needs a file name ending in .html, got {path!r}").format(path=path))
    return check_writable(path)


def output_paths(**paths: str | None) -> list[tuple[Path, str]]:
    """The drawings asked for, as `(path, format)`, once each path is known to be writable:
    a file name with the format's suffix (`svg="n.svg"`), in a folder that exists."""
    outputs = []
    for format, path in paths.items():
        if path is None:
            continue
        if Path(path).suffix.lower() != f".{format}":
            raise ValueError(_("--{format} needs a file name ending in .{format}, got {path!r}").format(format=format, path=path))
        outputs.append(drawing_path(path, format))
    return outputs


def parse_assignments(assignments: Sequence[str]) -> dict[str, float]:
    """`["x=2", "w=-3"]` as `{"x": 2.0, "w": -3.0}`, or a ValueError naming the bad one."""
    values: dict[str, float] = {}
    for text in assignments:
        name, equals, value = (part.strip() for part in text.partition("="))
        if not equals:
            raise ValueError(_("{text} is not NAME=VALUE (for example x=2)").format(text=shown(text)))
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(_("{name} in {text} is not a valid name").format(name=shown(name), text=shown(text)))
        if name in FUNCTIONS:
            raise ValueError(_("{name!r} is a function, so it cannot also be a name; pick another").format(name=name))
        if name in values:
            raise ValueError(_("{name} is given a value twice").format(name=shown(name)))
        try:
            values[name] = float(value)
        except ValueError:
            raise ValueError(_("the value of {name} must be a number, got {value}").format(
                name=shown(name), value=shown(value))) from None
        if not math.isfinite(values[name]):
            raise ValueError(_("the value of {name} must be a finite number, got {value}").format(
                name=shown(name), value=shown(value)))
    return values


def parse(expression: str, values: dict[str, float]) -> ast.Expression:
    """The syntax tree of `expression`, once every part of it is known to be allowed."""
    source = expression.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        too_long = "integer string conversion" in error.msg  # Python's words for a 4,301-digit literal
        why = _("a number has more than 4,300 digits, far too many for a float") if too_long else _parser_says(error.msg)
        raise ValueError(_("invalid expression {expression}: {why}").format(expression=shown(source), why=why)) from None
    except (RecursionError, MemoryError):
        raise ValueError(_(TOO_DEEP)) from None
    callees = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):  # parents before children, so the outermost offence is named
        bad_operator = isinstance(node, ast.BinOp) and type(node.op) not in OPERATORS
        if bad_operator or isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub):
            raise ValueError(_("the operator in {part} is not allowed: only + - * / ** and unary minus").format(
                part=_text(node, source)))
        if not isinstance(node, ALLOWED):
            what = _("attribute access") if isinstance(node, ast.Attribute) else _("the expression")
            raise ValueError(_("{what} {part} is not allowed: only numbers, names, + - * / **, "
                               "unary minus and the functions {functions}").format(
                what=what, part=_text(node, source), functions=", ".join(FUNCTIONS)))
        if isinstance(node, ast.Call):
            _check_call(node, source)
        elif isinstance(node, ast.Constant) and type(node.value) not in (int, float):
            raise ValueError(_("{value} is not a number").format(value=shown(node.value)))
        elif isinstance(node, ast.Name) and id(node) not in callees:
            if node.id in FUNCTIONS:
                raise ValueError(_("{name!r} is a function: call it, as in {name}(x)").format(name=node.id))
            if node.id not in values:
                raise ValueError(_("no value for {name}: add {short}=NUMBER").format(name=shown(node.id), short=_short(node.id)))
    unused = values.keys() - {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    if unused:
        raise ValueError(_("{names} not in the expression {expression}").format(
            names=_short(", ".join(sorted(unused))), expression=shown(source)))
    return tree


def _parser_says(message: str) -> str:
    """Python's reason for a syntax error, in the language in force where the catalogue has it."""
    for pattern, template in SYNTAX_ERRORS:
        match = pattern.fullmatch(message)
        if match:
            return _(template).format(**match.groupdict())
    return message


def _check_call(call: ast.Call, source: str) -> None:
    name = call.func.id if isinstance(call.func, ast.Name) else None
    if name not in FUNCTIONS:
        raise ValueError(_("cannot call {callee}: the functions are {functions}").format(
            callee=_text(call.func, source), functions=", ".join(FUNCTIONS)))
    entry = lookup(name)
    inputs, optional = entry.inputs or (), entry.const  # the plain numbers may be left out
    if call.keywords or not len(inputs) <= len(call.args) <= len(inputs) + len(optional):
        wanted = f"{name}({', '.join(inputs)})"
        if optional:
            wanted = _("{short} or {long}").format(short=wanted, long=f"{name}({', '.join(inputs + optional)})")
        raise ValueError(_("{call}: call it as {wanted}").format(call=_text(call, source), wanted=wanted))
    for what, arg in zip(optional, call.args[len(inputs) :]):
        if any(isinstance(part, ast.Name) for part in ast.walk(arg)):
            raise ValueError(_("the {what} of {call} must be a plain number").format(what=what, call=_text(call, source)))


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
        raise ValueError(_("the number {number} is too large for a float").format(number=shown(x)))
    return number
