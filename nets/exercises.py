"""Exercises whose checks teach: each answer is compared with what the engine computes.

    >>> from nets.exercises import check
    >>> check("01.1", 12)
    ✗ Exercise 01.1: your slope 12 is 2 too high (the engine's x.grad is 10). Hint: ...

`check(exercise, answer)` never raises and never prints a traceback: it returns a
`Feedback` that says in one or two sentences what is right, which number or which input's
gradient is wrong and by how much, and a hint.  Learner code is run with a time limit;
code that raises, runs for ever, or returns the wrong type gets a sentence too.
Every sentence, each exercise's own hints included, is in the language in force
(`autograd.i18n`: the Chinese notebooks' `nets.set_language("zh")`); formulas, code names and
numbers stay as they are.  Texts are marked the gettext way: `_()` where a checker runs (in the
learner's language), `N_()` where an exercise is registered (translated where it is shown).
Typical mistakes are recognised (a known wrong rule gives the same numbers) and get the
hint written for them.  `grade` is the graders' side: the solution must pass and a typical
wrong answer must fail with its hint (the solution notebooks in `notebooks/solutions/`
call it, and the test-suite runs them).
"""

from __future__ import annotations

import html
import math
import numbers
import re
import signal
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import autograd
from autograd import Value
from autograd.i18n import SOURCE, N_, current, language
from autograd.i18n import gettext as _

TIME_LIMIT = 2.0  # seconds for one call of the learner's code


@dataclass(frozen=True)
class Feedback:
    """What `check` says: truthy when the answer is right; shown as one line in a notebook, in
    the language it was said in."""

    exercise: str
    ok: bool
    message: str
    lang: str = field(default_factory=current, compare=False)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        with language(self.lang):
            label = _("Exercise {id}: {message}").format(id=self.exercise, message=self.message)
        return f"{'✓' if self.ok else '✗'} {label}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#b42318"
        return (f'<div class="stepgrad-feedback" style="border-left: 4px solid {colour}; padding: 4px 10px; '
                f'color: {colour}; white-space: normal">{html.escape(str(self))}</div>')


class Wrong(Exception):
    """Raised inside a checker with the sentence the learner should read (`hinted`: it has its hint)."""

    def __init__(self, message: str, hinted: bool = False) -> None:
        super().__init__(message)
        self.hinted = hinted


class NotAnswered(Wrong):
    """The starter code is still there: say so, without giving the hint away."""


def _answered(result: Any, name: str) -> Any:
    if result is None:
        raise NotAnswered(_("not answered yet: your {name} returns None; replace `pass  # YOUR CODE HERE` with its "
                            "body, run the cell, then run this check again.").format(name=name))
    return result


class _TimeUp(BaseException):  # BaseException: a learner's `except Exception` does not swallow it
    pass


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    hint: str  # shown when no known mistake matches
    checker: Callable[[Any], str]  # returns the sentence for a right answer, raises Wrong otherwise


EXERCISES: dict[str, Exercise] = {}


def exercise(id: str, title: str, hint: str) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    def register(checker: Callable[[Any], str]) -> Callable[[Any], str]:
        if id in EXERCISES:
            raise ValueError(f"exercise {id} is registered twice")
        EXERCISES[id] = Exercise(id, title, hint, checker)
        return checker
    return register


def check(exercise: str, answer: Any) -> Feedback:
    """Check `answer` to `exercise` ("01.1"): a Feedback, never an exception."""
    if exercise not in EXERCISES:
        known = ", ".join(EXERCISES)
        return Feedback(str(exercise), False, _("there is no exercise {exercise}; the exercises are {known}.")
                        .format(exercise=repr(exercise), known=known))
    spec = EXERCISES[exercise]
    if answer is ... or answer is None:
        return Feedback(exercise, False, _("not answered yet: replace the `...` or `pass` of the cell above with your "
                                           "answer, run it, then run this check again."))
    try:
        ok, message = True, spec.checker(answer)
    except NotAnswered as wrong:  # no hint: it would give the answer away
        ok, message = False, str(wrong)
    except Wrong as wrong:
        ok, message = False, str(wrong) if wrong.hinted else _with_hint(str(wrong), _(spec.hint))
    except Exception as error:  # a checker's own bug must still not show the learner a traceback
        ok, message = False, _with_hint(
            _("the checker could not judge this answer ({error}); check that it is the kind of answer "
              "asked for.").format(error=_error(error)), _(spec.hint))
    return Feedback(exercise, ok, _spaced(message))


def _spaced(text: str) -> str:
    """Chinese typesetting: no space between two CJK characters (the sentences put one around
    each word they insert, which is right beside a formula or a code name, not beside a word);
    `code` is left as it is."""
    return "".join(part if part.startswith("`") else CJK_SPACE.sub("", part) for part in re.split(r"(`[^`]*`)", text))


CJK_SPACE = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]) (?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")


def grade(exercise: str, solution: Any, *, wrong: Any, hint: str) -> Feedback:
    """For graders: the solution passes, and the typical wrong answer fails with `hint` (a part
    of the English hint, as the code has it) in its message; returns that answer's Feedback."""
    right = check(exercise, solution)
    if not right:
        raise AssertionError(_("the solution to {exercise} is refused: {feedback}").format(exercise=exercise, feedback=right))
    with language(SOURCE):
        english = check(exercise, wrong)
    if english or hint not in english.message:
        raise AssertionError(_("the wrong answer to {exercise} should fail with the hint {hint}, got: {feedback}")
                             .format(exercise=exercise, hint=repr(hint), feedback=check(exercise, wrong)))
    return check(exercise, wrong)


# ---- running the learner's code ----------------------------------------------------------

def _call(function: Any, *args: Any, what: str) -> Any:
    """`function(*args)` within TIME_LIMIT seconds; its error or a time-out becomes a Wrong sentence."""
    if not callable(function):
        raise Wrong(_("{what} should be a function, but your answer is {kind}.").format(what=what, kind=_kind(function)))
    try:
        return _bounded(function, args)
    except _TimeUp:
        raise Wrong(_("{what} did not return within {seconds} s for {args}: is there a loop that never ends?")
                    .format(what=what, seconds=f"{TIME_LIMIT:g}", args=_show_args(args))) from None
    except Wrong:
        raise
    except Exception as error:
        raise Wrong(_("{what} raised {error}{where} for {args}.").format(
            what=what, error=_error(error), where=_where(error), args=_show_args(args))) from None


def _bounded(function: Callable, args: tuple) -> Any:
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        def time_up(signum: int, frame: Any) -> None:
            raise _TimeUp

        previous = signal.signal(signal.SIGALRM, time_up)
        signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
        try:
            return function(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    result: list[Any] = []  # not the main thread: no signals here, so wait for a daemon thread
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(function(*args))
        except BaseException as error:  # handed back to the caller below
            failure.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(TIME_LIMIT)
    if worker.is_alive():
        raise _TimeUp
    if failure:
        raise failure[0]
    return result[0]


def _error(error: BaseException) -> str:
    """`ZeroDivisionError: division by zero`, as code: Python's words are not ours to translate."""
    return f"`{type(error).__name__}: {error}`" if str(error) else f"`{type(error).__name__}`"


def _where(error: BaseException) -> str:
    """` at line 3: return 1 / x`: the last line of the learner's code in the traceback."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__]
    if not frames:
        return ""
    frame = frames[-1]
    if frame.line:
        return _(" at line {line}: `{code}`").format(line=frame.lineno, code=frame.line)
    return _(" at line {line}").format(line=frame.lineno)


def _show_args(args: tuple) -> str:
    shown = ", ".join(_short(a) for a in args)
    return _("the input ({shown})").format(shown=shown) if shown else _("no input")


def _short(x: Any) -> str:
    if isinstance(x, Value):
        return _fmt(x.data)
    if isinstance(x, float):
        return _fmt(x)
    if callable(x):
        return getattr(x, "__name__", _("a function"))
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(x: Any) -> str:
    if isinstance(x, str):
        return _("the text {text}").format(text=repr(x))
    if isinstance(x, Value):
        return _("a Value ({value})").format(value=_fmt(x.data))
    return _("a {type} ({value})").format(type=type(x).__name__, value=_short(x))


def _fmt(x: float) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


# ---- comparing ---------------------------------------------------------------------------

def _number(x: Any, what: str) -> float:
    """`x` as a float, or a Wrong sentence saying what it is instead."""
    if isinstance(x, Value):
        x = x.data
    if x is ... or x is None:
        raise Wrong(_("{what} is {value}: not answered yet.").format(what=what, value=repr(x)))
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise Wrong(_("{what} should be a number, but it is {kind}.").format(what=what, kind=_kind(x)))
    x = float(x)
    if not math.isfinite(x):
        raise Wrong(_("{what} is {value}, not a finite number.").format(what=what, value=x))
    return x


def _close(got: float, want: float, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    return abs(got - want) <= atol + rtol * abs(want)


def _off(got: float, want: float) -> str:
    diff = got - want
    return (_("{diff} too high") if diff > 0 else _("{diff} too low")).format(diff=_fmt(abs(diff)))


def _match(got: Any, mistakes: Sequence[tuple[Any, str]], same: Callable[[Any, Any], bool]) -> str | None:
    """The hint of the first known mistake that gives the learner's answer."""
    for wrong, hint in mistakes:
        try:
            if same(got, wrong):
                return hint
        except (Wrong, TypeError, ValueError, ArithmeticError):
            continue
    return None


def _with_hint(sentence: str, hint: str) -> str:
    return _("{sentence} Hint: {hint}").format(sentence=sentence, hint=hint)


def _hinted(sentence: str, hint: str | None) -> Wrong:
    return Wrong(_with_hint(sentence, hint), hinted=True) if hint else Wrong(sentence)


def _yours(name: str) -> str:
    return _("your {name}").format(name=name)


def _engines(code: str) -> str:
    """`the engine's x.grad`: where the right answer comes from, `code` as it is."""
    return _("the engine's {code}").format(code=code)


def number_answer(answer: Any, want: float, name: str, source: str, mistakes: Sequence[tuple[float, str]] = (),
                  rtol: float = 1e-6) -> str:
    """A number compared with the engine's `want`; `source` says where the engine's number comes from."""
    got = _number(answer, _yours(name))
    if _close(got, want, rtol):
        return _("right: {name} {want}, as {source}.").format(name=name, want=_fmt(want), source=source)
    hint = _match(got, mistakes, lambda g, w: _close(g, w, rtol))
    raise _hinted(_("your {name} {got} is {off} ({source}: {want}).").format(
        name=name, got=_fmt(got), off=_off(got, want), source=source, want=_fmt(want)), hint)


def numbers_answer(answer: Any, want: Mapping[str, float], what: str, mistakes: Sequence[tuple[Mapping[str, float], str]] = (),
                   rtol: float = 1e-6, source: str | None = None) -> str:
    """A dict of named numbers (gradients) compared one by one; names the wrong ones and by how much.
    `source` says where the engine's numbers come from (by default its backward())."""
    source = source or _engines("backward()")
    if not isinstance(answer, Mapping):
        raise Wrong(_("your answer should be a dict naming each of {names}, but it is {kind}.")
                    .format(names=", ".join(want), kind=_kind(answer)))
    missing = [k for k in want if k not in answer]
    if missing:
        raise Wrong(_("your dict has no entry for {missing} (it should name {names}).")
                    .format(missing=", ".join(missing), names=", ".join(want)))
    got = {k: _number(answer[k], _("your {what} of {key}").format(what=what, key=k)) for k in want}
    bad = [k for k in want if not _close(got[k], want[k], rtol)]
    if not bad:
        return _("right: all {count} {what}s agree with {source}.").format(count=len(want), what=what, source=source)
    hint = _match(got, mistakes, lambda g, w: all(_close(g[k], w[k], rtol) for k in w))
    said = _("; ").join(_("{key}: yours {got}, the right one {want} ({off})").format(
        key=k, got=_fmt(got[k]), want=_fmt(want[k]), off=_off(got[k], want[k])) for k in bad[:3])
    more = _(" and {count} more").format(count=len(bad) - 3) if len(bad) > 3 else ""
    raise _hinted(_("{right} of {total} {what}s are right ({source}); wrong: {said}{more}.").format(
        right=len(want) - len(bad), total=len(want), what=what, source=source, said=said, more=more), hint)


def function_answer(function: Any, inputs: Sequence[tuple], engine: Callable[..., Any], name: str, source: str,
                    mistakes: Sequence[tuple[Callable, str]] = (), *, rtol: float = 1e-6) -> str:
    """The learner's `function` called on each of `inputs` and compared with `engine`'s result.

    Results may be numbers or lists (nested) of numbers.  A known mistake is recognised when
    its function gives the learner's results on every case.
    """
    cases = [(tuple(args), engine(*args)) for args in inputs]
    results = []
    for args, want in cases:
        got = _answered(_call(function, *args, what=_yours(name)), name)
        results.append(got)
        try:
            _same_shape_numbers(got, want, f"{name}({', '.join(_short(a) for a in args)})", rtol)
        except Wrong as wrong:
            hint = _match(results, mistakes, lambda got_all, wrong_fn: all(
                _agrees(g, _bounded(wrong_fn, a), rtol) for g, (a, _want) in zip(got_all, cases)))
            raise _hinted(_("{sentence} ({source}).").format(sentence=str(wrong).rstrip(".。"), source=source),
                          hint) from None
    return _("right on all {count} cases, as {source}.").format(count=len(cases), source=source)


def _agrees(got: Any, want: Any, rtol: float) -> bool:
    try:
        _same_shape_numbers(got, want, "", rtol)
        return True
    except Wrong:
        return False


def _same_shape_numbers(got: Any, want: Any, what: str, rtol: float) -> None:
    """`got` equals `want` (a number or nested lists of numbers) in shape and to rtol in value."""
    if isinstance(want, (list, tuple)):
        if isinstance(got, Value) or isinstance(got, (str, bytes)) or not hasattr(got, "__len__"):
            raise Wrong(_("{what} gave {kind}, but a list of {count} was expected.")
                        .format(what=what, kind=_kind(got), count=len(want)))
        got = list(got.tolist() if hasattr(got, "tolist") else got)
        if len(got) != len(want):
            raise Wrong(_("{what} gave {got}, expected {want}.").format(what=what, got=_shape(got), want=_shape(want)))
        for i, (g, w) in enumerate(zip(got, want)):
            _same_shape_numbers(g, w, f"{what}[{i}]", rtol)
        return
    g = _number(got, f"{what}")
    if not _close(g, float(want), rtol, 1e-9):
        raise Wrong(_("{what} gave {got}, {off}: the right value is {want}").format(
            what=what, got=_fmt(g), off=_off(g, float(want)), want=_fmt(float(want))))


def _shape(x: Any) -> str:
    dims = []
    while isinstance(x, (list, tuple)):
        dims.append(len(x))
        x = x[0] if x else None
    return _("{dims} values").format(dims="x".join(map(str, dims))) if dims else _("a single value")


def value_function_answer(function: Any, reference: Callable[..., Value], points: Sequence[Sequence[float]],
                          names: Sequence[str], name: str, mistakes: Sequence[tuple[Callable, str]] = ()) -> str:
    """A learner's function of Values: its value and every input's gradient against `reference`'s, and gradcheck."""
    for point in points:
        leaves = [Value(x, label=n) for x, n in zip(point, names)]
        out = _answered(_call(function, *leaves, what=_yours(name)), name)
        at = ", ".join(f"{n}={_fmt(float(x))}" for n, x in zip(names, point))
        if not isinstance(out, Value):
            raise Wrong(_("your {name} returned {kind}, not a Value: build the result from the Value inputs "
                          "with Value operations, so backward() can reach them (at {at}).")
                        .format(name=name, kind=_kind(out), at=at))
        refs = [Value(x) for x in point]
        want = reference(*refs)
        hint = _match((out.data, point), mistakes, lambda got, wrong_fn: _close(got[0], _value_of(wrong_fn, got[1])))
        if not _close(out.data, want.data):
            raise _hinted(_("at {at} your {name} gives {got}, {off}: the engine's is {want}.").format(
                at=at, name=name, got=_fmt(out.data), off=_off(out.data, want.data), want=_fmt(want.data)), hint)
        out.backward()
        want.backward()
        for leaf, ref, n in zip(leaves, refs, names):
            if not _close(leaf.grad, ref.grad, 1e-6):
                cut = _(" Did you use .data somewhere? It cuts the graph, so no gradient flows back.") \
                    if leaf.grad == 0 else ""
                raise Wrong(_("the value is right, but at {at} the gradient of {name} is {got}, {off}: backward() "
                              "through the engine's rule gives {want}.{cut}").format(
                    at=at, name=n, got=_fmt(leaf.grad), off=_off(leaf.grad, ref.grad), want=_fmt(ref.grad), cut=cut))
        result = autograd.gradcheck(lambda *xs: _bounded(function, xs), list(point))
        if not result:
            row = result.failures[0]
            raise Wrong(_("gradcheck disagrees at {at}: for input {name} backward() gives {analytic} but finite "
                          "differences give {numeric}; a derivative rule you wrote is wrong.").format(
                at=at, name=row.name, analytic=_fmt(row.analytic), numeric=_fmt(row.numeric)))
    return _("right: value and all {count} gradients agree with the engine at {points} points, and gradcheck "
             "passes.").format(count=len(names), points=len(points))


def _value_of(function: Callable, point: Sequence[float]) -> float:
    out = function(*[Value(x) for x in point])
    return out.data if isinstance(out, Value) else float(out)


def _engine_grads(build: Callable[..., Value], point: Mapping[str, float]) -> dict[str, float]:
    leaves = {k: Value(v, label=k) for k, v in point.items()}
    build(**leaves).backward()
    return {k: v.grad for k, v in leaves.items()}


def _grad(build: Callable[[Value], Value], x: float) -> float:
    """d build(x) / dx by the engine's backward()."""
    leaf = Value(x)
    build(leaf).backward()
    return leaf.grad


# ---- the exercises, by notebook ----------------------------------------------------------
# Each is registered with its title and its general hint (`N_`: translated where they are shown);
# its checker compares the answer with the engine and names the known mistakes with their hints.
# 01 derivatives and the chain rule

@exercise("01.1", N_("The slope of x**3 - 2x at x = 2, by hand"),
          N_("power rule term by term: d(x**3)/dx = 3x**2 and d(-2x)/dx = -2."))
def slope_by_hand(answer: Any) -> str:
    return number_answer(answer, _grad(lambda x: x ** 3 - 2 * x, 2.0), _("slope"), _engines("x.grad"), [
        (12.0, _("3x**2 at x = 2 is 12, and -2x contributes its slope -2 too.")),
        (4.0, _("f(2) = 4 is the value of the function, not its slope.")),
        (8.0, _("that is x**3 at 2; bring the power down: 3x**2.")),
    ])


@exercise("01.2", N_("The chain rule on y = (a*b + c)**2"),
          N_("name the inner sum u = a*b + c; dy/du = 2u, then du/da = b, du/db = a, du/dc = 1."))
def chain_rule(answer: Any) -> str:
    want = _engine_grads(lambda a, b, c: (a * b + c) ** 2, {"a": 2.0, "b": -3.0, "c": 10.0})
    return numbers_answer(answer, want, _("gradient"), [
        ({"a": -3.0, "b": 2.0, "c": 1.0}, _("these are the inner slopes du/da, du/db, du/dc; the chain rule multiplies "
                                            "each by the outer slope dy/du = 2u = 8.")),
        ({"a": 16.0, "b": -24.0, "c": 8.0}, _("a and b are swapped: d(a*b)/da = b, d(a*b)/db = a.")),
    ])


# 02 backprop one node at a time

NEURON = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}


@exercise("02.1", N_("The five gradients of the neuron tanh(x1*w1 + x2*w2 + b)"),
          N_("start at o (grad 1), go back through tanh (slope 1 - o**2), then through + (copies the gradient) and * "
             "(each factor gets the other factor times the gradient)."))
def neuron_gradients(answer: Any) -> str:
    want = _engine_grads(lambda x1, w1, x2, w2, b: (x1 * w1 + x2 * w2 + b).tanh(), NEURON)
    return numbers_answer(answer, want, _("gradient"), [
        ({"x1": 1.0, "w1": -1.5, "x2": 0.0, "w2": 0.5, "b": 0.5},
         _("x and w are swapped: d(x*w)/dw = x, so a weight's gradient is its input times the upstream gradient.")),
        ({"x1": -3.0, "w1": 2.0, "x2": 1.0, "w2": 0.0, "b": 1.0},
         _("you skipped tanh: multiply by its slope 1 - o**2 = 0.5 on the way back.")),
    ], rtol=1e-3)


@exercise("02.2", N_("A node used twice: a.grad for b = a*a + a at a = 3"),
          N_("a reaches b along every path where it is used; backward() adds the contributions of all paths."))
def node_used_twice(answer: Any) -> str:
    return number_answer(answer, _grad(lambda a: a * a + a, 3.0), "a.grad", _engines("backward()"), [
        (6.0, _("6 = 2a is the a*a path alone; the + a path adds 1 more.")),
        (3.0, _("a*a uses a twice: its slope in a is 2a, not a.")),
        (1.0, _("1 is the + a path alone; the a*a path adds 2a = 6.")),
    ])


@exercise("02.3", N_("The backward rule of multiplication"),
          N_("for out = a * b: d(out)/da = b and d(out)/db = a, each times out_grad (the chain rule)."))
def mul_backward(answer: Any) -> str:
    def engine(a: float, b: float, g: float) -> list[float]:
        out = Value(a) * Value(b)
        return [out.local_grads[0] * g, out.local_grads[1] * g]

    return function_answer(answer, [(2.0, -3.0, 1.0), (0.5, 4.0, -2.0), (-1.5, -2.5, 0.25)], engine,
                           "mul_backward", _("the engine's local_grads times out_grad"), [
        (lambda a, b, g: (a * g, b * g), _("the two are swapped: a's gradient is b * out_grad.")),
        (lambda a, b, g: (b, a), _("you left out out_grad: the chain rule multiplies the local slope by it.")),
    ])


# 03 checking gradients

@exercise("03.1", N_("A central difference"),
          N_("(f(x + eps) - f(x - eps)) / (2 * eps): the two points are 2 * eps apart."))
def central_difference(answer: Any) -> str:
    cube = lambda x: x ** 3  # noqa: E731  (floats and Values alike)
    rules = {cube: cube, math.sin: Value.sin, math.exp: Value.exp}  # the function, and its Value op
    return function_answer(answer, [(cube, 1.5), (math.sin, 0.7), (math.exp, -1.0)], lambda f, x: _grad(rules[f], x),
                           "central_difference", _("backward() through the engine"), [
        (lambda f, x, eps=1e-6: (f(x + eps) - f(x - eps)) / eps, _("you divided by eps, but the points are 2 * eps apart.")),
    ], rtol=1e-5)


@exercise("03.2", N_("softsign(x) = x / (1 + |x|) with Values, checked by gradcheck"),
          N_("build it from Value operations: x / (1 + abs(x)); never use x.data, it cuts the graph."))
def softsign(answer: Any) -> str:
    return value_function_answer(answer, lambda x: x / (1 + abs(x)), [(0.5,), (-2.0,), (3.0,)], ["x"], "softsign", [
        (lambda x: x / (1 + x), _("for negative x the absolute value matters: 1 + abs(x).")),
    ])


# 04 from a neuron to an MLP

@exercise("04.1", N_("Parameters of a 784-16-16-10 MLP"),
          N_("layer by layer, weights (inputs x neurons) plus one bias per neuron."))
def mlp_parameters(answer: Any) -> str:
    import nets

    want = nets.MLP(784, [16, 16, 10], seed=0).num_parameters()
    return number_answer(answer, want, _("parameter count"), _engines("MLP(784, [16, 16, 10]).num_parameters()"), [
        (12960, _("you counted only the weights; each of the 16 + 16 + 10 neurons has a bias too.")),
        (12730, _("12,730 is a common misprint; count 784*16 + 16*16 + 16*10 weights and 16 + 16 + 10 biases.")),
    ])


@exercise("04.2", N_("A neuron's forward pass with Values"),
          N_("o = tanh(x1*w1 + x2*w2 + b): the weighted sum, plus the bias, through tanh."))
def neuron_forward(answer: Any) -> str:
    return value_function_answer(answer, lambda x1, x2, w1, w2, b: (x1 * w1 + x2 * w2 + b).tanh(),
                                 [(2.0, 0.0, -3.0, 1.0, 6.8813735870195432), (0.5, -1.0, 0.3, 0.8, -0.1)],
                                 ["x1", "x2", "w1", "w2", "b"], "neuron", [
        (lambda x1, x2, w1, w2, b: (x1 * w1 + x2 * w2).tanh(), _("you left out the bias b.")),
        (lambda x1, x2, w1, w2, b: (x1 * w1 + x2 * w2 + b).sigmoid(), _("this neuron uses tanh, not sigmoid.")),
    ])


NET_241 = {"W1": [[0.5, -0.4], [0.3, 0.8], [-0.6, 0.1], [0.2, -0.7]], "b1": [0.1, -0.2, 0.05, 0.0],
           "W2": [0.7, -0.5, 0.4, 0.9], "b2": -0.3, "x": [1.0, 0.5], "y": 1.0}


def engine_241(W1: Any, b1: Any, W2: Any, b2: Any, x: Sequence[float], y: float) -> dict[str, Any]:
    """The 17 gradients of the 2-4-1 sigmoid network with squared loss (o - y)**2, by backward()."""
    W1v = [[Value(w) for w in row] for row in W1]
    b1v, W2v, b2v = [Value(b) for b in b1], [Value(w) for w in W2], Value(b2)
    h = [(autograd.weighted_sum(row, x, b)).sigmoid() for row, b in zip(W1v, b1v)]
    o = autograd.weighted_sum(W2v, h, b2v).sigmoid()
    ((o - y) ** 2).backward()
    return {"W1": [[w.grad for w in row] for row in W1v], "b1": [b.grad for b in b1v],
            "W2": [w.grad for w in W2v], "b2": b2v.grad}


@exercise("04.3", N_("The 17 gradients of the 2-4-1 sigmoid network with squared loss, by hand"),
          N_("delta_out = 2(o - y) * o(1 - o); dW2[j] = delta_out * h[j]; delta[j] = delta_out * W2[j] * h[j](1 - h[j]); "
             "dW1[j][i] = delta[j] * x[i]; each bias gets its delta."))
def gradients_241(answer: Any) -> str:
    want = engine_241(**NET_241)
    got = _answered(_call(answer, *NET_241.values(), what=_yours("gradients_241")), "gradients_241")
    if not isinstance(got, Mapping):
        raise Wrong(_("your {name} should return a dict with W1, b1, W2 and b2, but it returned {kind}.")
                    .format(name="gradients_241", kind=_kind(got)))
    flat_want = _flatten(want)
    try:
        flat_got = _flatten({k: got[k] for k in want})
    except KeyError as missing:
        raise Wrong(_("your dict has no entry {missing}; it needs W1 (4x2), b1 (4), W2 (4) and b2 (1 number).")
                    .format(missing=missing)) from None
    except TypeError:
        raise Wrong(_("your dict's entries should be W1 as 4 lists of 2 numbers, b1 and W2 as lists of 4, b2 a number.")) \
            from None
    if set(flat_got) != set(flat_want):
        raise Wrong(_("your gradients have the wrong shapes: expected W1 4x2, b1 4, W2 4 and b2 1 ({want} numbers), "
                      "got {got} numbers.").format(want=len(flat_want), got=len(flat_got)))
    o = _forward_241(**NET_241)
    return numbers_answer(flat_got, flat_want, _("gradient"), [
        ({k: v / 2 for k, v in flat_want.items()}, _("every gradient is half the engine's: d(o - y)**2/do = 2(o - y).")),
        ({k: v / (o * (1 - o)) for k, v in flat_want.items()},
         _("you left out the output sigmoid's slope o(1 - o) from delta_out.")),
    ])


def _forward_241(W1: Any, b1: Any, W2: Any, b2: Any, x: Sequence[float], y: float) -> float:
    s = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    h = [s(sum(w * xi for w, xi in zip(row, x)) + b) for row, b in zip(W1, b1)]
    return s(sum(w * hj for w, hj in zip(W2, h)) + b2)


def _flatten(grads: Mapping[str, Any]) -> dict[str, float]:
    flat: dict[str, float] = {}
    for name, g in grads.items():
        if isinstance(g, (list, tuple)) or hasattr(g, "tolist"):
            for i, row in enumerate(list(g)):
                if isinstance(row, (list, tuple)) or hasattr(row, "tolist"):
                    for j, v in enumerate(list(row)):
                        flat[f"{name}[{i}][{j}]"] = v
                else:
                    flat[f"{name}[{i}]"] = row
        else:
            flat[name] = g
    return flat


# 05 why hidden layers

CORNERS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]


def _classify(function: Any, name: str, target: Callable[[float, float], int], mistakes: Sequence[tuple[Callable, str]]) -> str:
    outs = []
    for x1, x2 in CORNERS:
        outs.append(_number(_answered(_call(function, x1, x2, what=_yours(name)), name), _yours(f"{name}({x1:g}, {x2:g})")))
    wrong = [(c, o) for c, o in zip(CORNERS, outs) if (o > 0.5) != bool(target(*c))]
    if not wrong:
        return _("right: all four corners are on the right side of 0.5 ({outs}).").format(outs=", ".join(map(_fmt, outs)))
    said = _("; ").join((_("({x1}, {x2}) gives {out} but should be above 0.5") if target(*c) else
                         _("({x1}, {x2}) gives {out} but should be below 0.5")).format(x1=f"{c[0]:g}", x2=f"{c[1]:g}", out=_fmt(o))
                        for c, o in wrong)
    hint = _match(outs, mistakes, lambda got, m: all((g > 0.5) == bool(m(*c)) for g, c in zip(got, CORNERS)))
    raise _hinted(_("{count} of 4 corners are wrong: {said}.").format(count=len(wrong), said=said), hint)


@exercise("05.1", N_("Weights for one logistic unit that computes AND"),
          N_("sigmoid(w1*x1 + w2*x2 + b) is above 0.5 where w1*x1 + w2*x2 + b > 0: put that line between (1, 1) and the "
             "others."))
def and_unit(answer: Any) -> str:
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        raise Wrong(_("give the three numbers (w1, w2, b) as a tuple; your answer is {kind}.").format(kind=_kind(answer)))
    w1, w2, b = (_number(v, _yours(n)) for v, n in zip(answer, ("w1", "w2", "b")))
    unit = lambda x1, x2: (w1 * Value(x1) + w2 * Value(x2) + b).sigmoid()  # noqa: E731
    return _classify(unit, "unit", lambda x1, x2: int(x1 and x2), [
        (lambda x1, x2: x1 or x2, _("this is OR; for AND the bias must be more negative, so one input alone is not "
                                    "enough.")),
    ])


@exercise("05.2", N_("XOR by hand: a hidden layer of two sigmoids"),
          N_("XOR = AND(OR(x1, x2), NAND(x1, x2)): two hidden units for OR and NAND, an output unit for AND."))
def xor_net(answer: Any) -> str:
    return _classify(answer, "xor_net", lambda x1, x2: int(x1 != x2), [
        (lambda x1, x2: x1 or x2, _("(1, 1) is classified as 1, as OR would: one line cannot separate XOR; "
                                    "combine OR and NAND in a hidden layer.")),
    ])


# 06 losses and activations

@exercise("06.1", N_("The largest slope of sigmoid"),
          N_("sigmoid'(x) = s(1 - s) with s = sigmoid(x); where is s(1 - s) largest?"))
def sigmoid_slope(answer: Any) -> str:
    largest = max(_grad(Value.sigmoid, i / 100) for i in range(-400, 401))
    return number_answer(answer, largest, _("largest slope"), _("the engine's gradient of sigmoid, scanned over [-4, 4]"), [
        (1.0, _("1 is the identity's slope; sigmoid's is s(1 - s), at most 1/4, so stacked sigmoids shrink gradients.")),
        (0.5, _("0.5 is sigmoid(0), the value; the slope there is s(1 - s) = 0.5 * 0.5.")),
    ])


@exercise("06.2", N_("A softmax that never overflows"),
          N_("subtract max(zs) from every score before exp: the result is unchanged and exp never overflows."))
def stable_softmax(answer: Any) -> str:
    from .activations import softmax

    return function_answer(answer, [([1.0, 2.0, 3.0],), ([0.0, 0.0],), ([-5.0, 2.5, 0.1, 7.0],),
                                    ([1000.0, 1001.0, 1002.0],)],
                           lambda zs: [p.data for p in softmax([Value(z) for z in zs])],
                           "softmax", _engines("nets.activations.softmax"), [
        (lambda zs: [math.exp(z) / sum(math.exp(y) for y in zs) for z in zs], _("exp(1000) overflows: subtract max(zs) "
                                                                                 "first.")),
    ], rtol=1e-9)


@exercise("06.3", N_("The gradient of cross-entropy with respect to the logits"),
          N_("d(cross_entropy)/dz_i = softmax(z)_i - 1 for the target class, softmax(z)_i for the others."))
def cross_entropy_gradient(answer: Any) -> str:
    from .losses import cross_entropy

    def engine(zs: list[float], t: int) -> list[float]:
        logits = [Value(z) for z in zs]
        cross_entropy(logits, t).backward()
        return [z.grad for z in logits]

    def probabilities(zs: Sequence[float], t: int) -> list[float]:
        e = [math.exp(z - max(zs)) for z in zs]
        return [v / sum(e) for v in e]

    return function_answer(answer, [([2.0, 1.0, 0.1], 0), ([0.5, -1.0, 3.0, 0.0], 2), ([1.0, 1.0], 1)], engine,
                           "ce_grad", _("backward() through nets.losses.cross_entropy"), [
        (probabilities, _("those are the probabilities; subtract 1 at the target class (softmax minus one-hot).")),
        (lambda zs, t: [1 - p if i == t else p for i, p in enumerate(probabilities(zs, t))],
         _("the sign at the target is flipped: it is p_t - 1, negative, so gradient descent raises the target's "
           "score.")),
    ])


# 07 vanishing and exploding gradients

@exercise("07.1", N_("The gradient through a chain of n sigmoid layers"),
          N_("go forward first to keep each z_k; the gradient is the product of w * s(z_k)(1 - s(z_k)) over the layers."))
def chain_gradient(answer: Any) -> str:
    def engine(n: int, w: float, x: float) -> float:
        def layers(out: Value) -> Value:
            for _layer in range(n):
                out = (w * out).sigmoid()
            return out
        return _grad(layers, x)

    return function_answer(answer, [(1, 1.0, 0.0), (5, 1.0, 0.0), (10, 2.0, 0.5), (3, -1.5, 1.0)], engine,
                           "chain_gradient", _("backward() through n sigmoid layers"), [
        (lambda n, w, x: (w * 0.25) ** n, _("the slope is 1/4 only where z = 0; after the first layer z = w * s(...) "
                                            "is not 0. Compute s(z)(1 - s(z)) at each layer's own z.")),
    ], rtol=1e-6)


@exercise("07.2", N_("Clipping gradients by their norm"),
          N_("norm = sqrt(sum of g**2); if norm > max_norm, multiply every gradient by max_norm / norm."))
def clip_by_norm(answer: Any) -> str:
    from .optim import clip_grad_norm

    def engine(grads: list[float], max_norm: float) -> list[float]:
        params = [Value(0.0) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g
        clip_grad_norm(params, max_norm)
        return [p.grad for p in params]

    return function_answer(answer, [([3.0, 4.0], 1.0), ([0.1, -0.2, 0.2], 1.0), ([10.0, -10.0, 5.0, 0.0], 5.0)], engine,
                           "clip_by_norm", _engines("nets.optim.clip_grad_norm"), [
        (lambda grads, m: [max(-m, min(m, g)) for g in grads],
         _("that clips each gradient on its own, which changes the direction; scale them all by one factor.")),
        (lambda grads, m: [g * m / math.sqrt(sum(x * x for x in grads)) for g in grads],
         _("gradients already within max_norm must stay as they are: only scale when norm > max_norm.")),
    ])


# 08 handwritten digits

@exercise("08.1", N_("Parameters of the 64-16-16-10 digits MLP"),
          N_("layer by layer, inputs x neurons weights plus one bias per neuron."))
def digits_parameters(answer: Any) -> str:
    import nets

    want = nets.MLP(64, [16, 16, 10], seed=0).num_parameters()
    return number_answer(answer, want, _("parameter count"), _engines("MLP(64, [16, 16, 10]).num_parameters()"), [
        (1440, _("you counted only the weights; add the 16 + 16 + 10 biases.")),
    ])


@exercise("08.2", N_("Mini-batch steps in one epoch"),
          N_("one step per batch, and the last, smaller batch is a step too: ceil(n / batch_size)."))
def steps_per_epoch(answer: Any) -> str:
    import numpy as np

    from .data import batches

    return function_answer(answer, [(1437, 32), (100, 10), (10, 3), (5, 8)],
                           lambda n, b: sum(1 for _batch in batches(np.zeros((n, 1)), np.zeros(n), b, shuffle=False)),
                           "steps_per_epoch", "len(list(nets.data.batches(...)))", [
        (lambda n, b: n // b, _("n // batch_size drops the last, smaller batch; it is a step too.")),
    ])


# 09 convolutions

@exercise("09.1", N_("The output size of a convolution"),
          N_("(W - F + 2P) // S + 1: the padded width, minus the filter, in strides, plus the first position."))
def conv_output_size(answer: Any) -> str:
    import nets

    def engine(w: int, f: int, p: int, s: int) -> int:
        maps = nets.Conv2d(1, 1, f, stride=s, padding=p, seed=0)([[[0.0] * w for _row in range(w)]])
        return len(maps[0][0])

    return function_answer(answer, [(7, 3, 0, 1), (8, 3, 1, 1), (7, 3, 0, 2), (6, 2, 0, 2), (10, 5, 2, 3)], engine,
                           "conv_output_size", _("the width of the engine's Conv2d output"), [
        (lambda w, f, p, s: (w - f + 2 * p) // s, _("add 1: the filter's first position counts too.")),
        (lambda w, f, p, s: (w - f + p) // s + 1, _("padding adds P on both sides: 2P.")),
    ])


@exercise("09.2", N_("Parameters of Conv2d(3, 8, kernel_size=3)"),
          N_("each of the 8 filters spans all 3 input channels (3 x 3 x 3 weights) and has one bias."))
def conv_parameters(answer: Any) -> str:
    import nets

    want = nets.Conv2d(3, 8, 3, seed=0).num_parameters()
    return number_answer(answer, want, _("parameter count"), _engines("Conv2d(3, 8, 3).num_parameters()"), [
        (216, _("you counted only the weights; each filter has a bias too.")),
        (80, _("each filter spans all 3 input channels: 3 * 3 * 3 weights per filter, not 3 * 3.")),
    ])


@exercise("09.3", N_("2x2 max pooling by hand"),
          N_("2x2 max pooling takes each 2x2 window once (stride 2, side by side): a 4x4 grid gives 2x2 maxima."))
def max_pool_2x2(answer: Any) -> str:
    import nets

    def engine(grid: list) -> list:
        pooled = nets.MaxPool2d(2)([[[Value(x) for x in row] for row in grid]])[0]
        return [[v.data for v in row] for row in pooled]

    def sliding(g: list) -> list:
        return [[max(g[i][j], g[i][j + 1], g[i + 1][j], g[i + 1][j + 1]) for j in range(3)] for i in range(3)]

    return function_answer(answer, [([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 3, 2], [6, 2, 0, 1]],),
                           ([[-1, -3, 2, 9], [-4, -2, 1, 5], [7, 1, -3, 2], [6, 8, 0, -1]],)], engine,
                           "max_pool_2x2", _engines("nets.MaxPool2d(2)"), [
        (sliding, _("that slides the window one step at a time (3x3 outputs); 2x2 max pooling moves by 2: each 2x2 "
                    "window once.")),
    ])


# 10 recurrent networks and backprop through time

@exercise("10.1", N_("A shared weight's gradient through time"),
          N_("h_t = tanh(w*h_(t-1) + x_t) uses w at every step: dh_T/dw sums each step's contribution, carried back "
             "through time."))
def bptt_grad(answer: Any) -> str:
    def engine(w: float, xs: list) -> float:
        def unrolled(w: Value) -> Value:
            h = Value(0.0)
            for x in xs:
                h = (w * h + x).tanh()
            return h
        return _grad(unrolled, w)

    def last_step_only(w: float, xs: list) -> float:
        h = 0.0
        for x in xs[:-1]:
            h = math.tanh(w * h + x)
        return (1 - math.tanh(w * h + xs[-1]) ** 2) * h

    return function_answer(answer, [(0.5, [1.0, -0.5, 0.25]), (1.2, [0.3, 0.3, 0.3, 0.3]), (-0.8, [0.5, 1.0])], engine,
                           "bptt_grad", _("backward() through the unrolled steps"), [
        (last_step_only, _("that is the last step's contribution alone; w is used at every step, so add the earlier "
                           "steps' contributions, carried back through time.")),
    ])


@exercise("10.2", N_("Parameters of RNNCell(2, 3)"),
          N_("each of the 3 units has a weight per input (2), a recurrent weight per unit (3) and one bias."))
def rnn_parameters(answer: Any) -> str:
    import nets

    want = nets.RNNCell(2, 3, seed=0).num_parameters()
    return number_answer(answer, want, _("parameter count"), _engines("RNNCell(2, 3).num_parameters()"), [
        (21, _("PyTorch's RNN has two biases per unit (b_ih and b_hh); stepgrad's RNNCell has one.")),
        (15, _("each unit has a bias too.")),
        (9, _("each unit also sees the previous state: 3 recurrent weights per unit.")),
    ])


# 11 gradient descent by hand

@exercise("11.1", N_("One step of gradient descent"),
          N_("for each parameter: p.data -= lr * p.grad, in place (against the gradient, downhill)."))
def sgd_step(answer: Any) -> str:
    import nets

    from .optim import SGD

    mine, ref = nets.MLP(2, [3, 1], seed=1), nets.MLP(2, [3, 1], seed=1)
    for model in (mine, ref):
        ((model([0.5, -1.0]) - 1.0) ** 2).backward()
    SGD(ref.parameters(), lr=0.1).step()
    before = [p.data for p in mine.parameters()]
    returned = _call(answer, mine.parameters(), 0.1, what=_yours("sgd_step"))
    got = {f"p{i}": p.data for i, p in enumerate(mine.parameters())}
    want = {f"p{i}": p.data for i, p in enumerate(ref.parameters())}
    if all(g == b for g, b in zip(got.values(), before)):
        if returned is None:  # the starter code (or a loop that only rebinds p): no hint, it would be the answer
            raise NotAnswered(_("not answered yet: your sgd_step changed no parameter; replace `pass  # YOUR CODE HERE` "
                                "with a body that changes each p.data in place (assigning to the loop variable p does "
                                "not), run the cell, then run this check again."))
        raise Wrong(_("no parameter changed: update each p.data in place (assigning to the loop variable p does not)."))
    uphill = {f"p{i}": 2 * b - w for i, (b, w) in enumerate(zip(before, want.values()))}
    return numbers_answer(got, want, _("parameter value"), [
        (uphill, _("you stepped uphill: subtract lr * p.grad, to move against the gradient.")),
    ], rtol=1e-9, source=_engines("optim.SGD(lr=0.1).step()"))


@exercise("11.2", N_("A learning rate below 2 / lambda_max"),
          N_("for a quadratic, gradient descent converges when lr < 2 / lambda_max, lambda_max the largest curvature."))
def learning_rate(answer: Any) -> str:
    lr = _number(answer, _("your learning rate"))
    loss = lambda a, b: 3 * a * a + 0.5 * b * b  # noqa: E731
    curvatures = []  # the Hessian's diagonal from the engine's gradients (the loss has no cross term)
    for i in range(2):
        g = []
        for step in (0.0, 1.0):
            leaves = [Value(step if j == i else 0.0) for j in range(2)]
            loss(*leaves).backward()
            g.append(leaves[i].grad)
        curvatures.append(g[1] - g[0])
    limit = 2 / max(curvatures)
    a, b = 1.0, 1.0
    for _step in range(100):
        leaves = [Value(a), Value(b)]
        loss(*leaves).backward()
        a, b = a - lr * leaves[0].grad, b - lr * leaves[1].grad
        if abs(a) > 1e6 or abs(b) > 1e6:
            break
    final = loss(a, b)
    if lr <= 0:
        raise Wrong(_("a learning rate of {lr} does not go downhill; it must be positive.").format(lr=_fmt(lr)))
    if lr >= limit:
        raise _hinted(_("with lr = {lr} the loss grows to {loss} after the steps: the largest curvature is {curvature}, so "
                        "lr must stay below 2 / {curvature} = {limit}.").format(
            lr=_fmt(lr), loss=f"{final:.3g}", curvature=_fmt(max(curvatures)), limit=_fmt(limit)),
            _("the steepest direction (a) decides the limit, not the gentle one."))
    return _("right: {lr} is below 2 / lambda_max = {limit} (curvatures {curvatures} from the engine's gradients); 100 "
             "steps from (1, 1) reach loss {loss}.").format(
        lr=_fmt(lr), limit=_fmt(limit), curvatures=", ".join(map(_fmt, curvatures)), loss=f"{final:.3g}")


# 12 regularisation

@exercise("12.1", N_("The L2 penalty as a Value"),
          N_("lam * (w1**2 + w2**2 + w3**2), built from the Value parameters so each gets the gradient 2 * lam * w."))
def l2_penalty(answer: Any) -> str:
    lam = 0.01
    return value_function_answer(lambda *ws: _call(answer, list(ws), lam, what=_yours("l2_penalty")),
                                 lambda *ws: lam * sum((w * w for w in ws), Value(0.0)),
                                 [(0.5, -1.0, 2.0), (3.0, 0.1, -0.2)], ["w1", "w2", "w3"], "l2_penalty", [
        (lambda *ws: lam * sum(ws, Value(0.0)), _("square each parameter: the penalty is lam * sum(w**2).")),
        (lambda *ws: sum((w * w for w in ws), Value(0.0)), _("multiply by lam.")),
    ])


@exercise("12.2", N_("The scale of inverted dropout with p = 0.2"),
          N_("the kept values are divided by the keep probability 1 - p, so the expected value stays the same."))
def dropout_scale(answer: Any) -> str:
    import nets

    drop = nets.Dropout(0.2, seed=0)
    kept = {v.data for v in drop([Value(1.0) for _one in range(50)]) if v.data}
    return number_answer(answer, kept.pop(), _("scale"), _("the engine's {code} applied to ones")
                         .format(code="Dropout(0.2)"), [
        (0.8, _("multiplying by the keep probability shrinks the expectation; divide by it: 1 / (1 - p).")),
        (1 / 0.2, _("divide by the keep probability 1 - p = 0.8, not by the drop probability p.")),
    ])


# 13 batch normalisation

@exercise("13.1", N_("Batch normalisation of one feature"),
          N_("(x - mean) / sqrt(var + eps) with the biased variance (divide by n), all with Values."))
def batch_norm(answer: Any) -> str:
    from .normalization import BatchNorm1d

    def engine(*xs: Value) -> Value:
        out = BatchNorm1d(1).forward_batch([[x] for x in xs])
        return autograd.sum(o[0] * k for k, o in enumerate(out, start=1))  # weights 1, 2, 3, ...: every gradient differs

    def learner(*xs: Value) -> Value:
        out = _answered(_call(answer, list(xs), what=_yours("batch_norm")), "batch_norm")
        if not isinstance(out, (list, tuple)) or len(out) != len(xs):
            raise Wrong(_("your {name} should return a list of {count} Values, one per input; it returned {kind}.")
                        .format(name="batch_norm", count=len(xs), kind=_kind(out)))
        return autograd.sum(o * k for k, o in enumerate(out, start=1))

    def unbiased(*xs: Value) -> Value:
        n = len(xs)
        mean = autograd.sum(xs) / n
        var = autograd.sum((x - mean) ** 2 for x in xs) / (n - 1)
        return autograd.sum((x - mean) / (var + 1e-5) ** 0.5 * k for k, x in enumerate(xs, start=1))

    hint = _("batch norm normalises with the biased variance: divide by n, not n - 1.")
    for point in [(1.0, 2.0, 4.0), (-0.5, 0.3, 0.9, 2.0)]:
        value_function_answer(learner, engine, [point], [f"x{i + 1}" for i in range(len(point))],
                              _("batch_norm (outputs weighted 1, 2, 3, ...)"), [(unbiased, hint)])
    return _("right: outputs and every input's gradient agree with the engine's BatchNorm1d on batches of 3 and 4.")


@exercise("13.2", N_("Running mean after one batch"),
          N_("running = (1 - momentum) * running + momentum * batch_mean, with PyTorch's momentum 0.1."))
def running_mean(answer: Any) -> str:
    from .normalization import BatchNorm1d

    bn = BatchNorm1d(1)
    bn.forward_batch([[1.0], [2.0], [3.0]])  # batch mean 2
    return number_answer(answer, bn.running_mean[0].data, _("running mean"),
                         _("the engine's {code} after the batch").format(code="BatchNorm1d(1)"), [
        (1.8, _("that is momentum as Keras uses it; in PyTorch (and here) momentum weighs the new batch: "
                "0.9 * 0 + 0.1 * 2.")),
        (2.0, _("the running mean moves only part of the way: 0.9 * old + 0.1 * batch mean.")),
    ])


# 14 transfer learning and augmentation

@exercise("14.1", N_("Trainable parameters when only the last layer of 64-16-16-10 is trained"),
          N_("frozen layers keep their weights; only the last layer's 16 x 10 weights and 10 biases are trained."))
def trainable_parameters(answer: Any) -> str:
    import nets

    from .module import frozen_parameters

    model = nets.MLP(64, [16, 16, 10], seed=0)
    for layer in model.layers[:-1]:
        layer.requires_grad_(False)
    frozen = frozen_parameters()
    want = sum(1 for p in model.parameters() if p not in frozen)
    return number_answer(answer, want, _("parameter count"), _("the engine's {code} after {frozen} on the first two layers")
                         .format(code="MLP", frozen="requires_grad_(False)"), [
        (1482, _("that is every parameter; frozen ones are not trained.")),
        (160, _("the last layer's 10 biases are trained too.")),
    ])


@exercise("14.2", N_("Shift an image one pixel to the right"),
          N_("each row moves right by one: a new 0 comes in on the left and the last pixel falls off."))
def shift_right(answer: Any) -> str:
    import numpy as np

    images = [np.arange(16.0).reshape(4, 4).tolist(), [[0, 1, 0], [1, 1, 1], [0, 1, 0]]]
    shifted = lambda img: [[0.0, *row[:-1]] for row in np.asarray(img, dtype=float).tolist()]  # noqa: E731
    return function_answer(answer, [(img,) for img in images], shifted,
                           "shift_right", _("each row moved one pixel right, a blank pixel coming in"), [
        (lambda img: [[*row[1:], 0.0] for row in img], _("that moves it left: the new 0 comes in on the left.")),
        (lambda img: [[row[-1], *row[:-1]] for row in img], _("the pixel falling off must not wrap around: put 0 in its "
                                                              "place.")),
    ])
