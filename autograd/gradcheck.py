"""Checking `backward()` against central finite differences, as torch.autograd.gradcheck does.

The numeric slope (f(x + eps) - f(x - eps)) / (2 eps) has error of order eps**2 from
truncation and of order 1e-16 / eps from round-off, so eps = 1e-6 balances the two for
float64.  Keep inputs away from kinks (relu, abs at 0) and domain edges (log near 0):
there finite differences themselves are wrong.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Callable, Sequence

from .i18n import gettext as _, pad
from .value import Message, Value, backward_order, no_grad, real_number


@dataclass(frozen=True)
class GradcheckRow:
    """One input's analytic gradient (from backward) and numeric gradient."""

    name: str
    analytic: float
    numeric: float
    ok: bool

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)


@dataclass(frozen=True)
class GradcheckResult:
    """Truthy exactly when every input agrees; `str()` is a table that marks disagreements."""

    rows: tuple[GradcheckRow, ...]
    atol: float
    rtol: float

    def __bool__(self) -> bool:
        return all(row.ok for row in self.rows)

    @property
    def failures(self) -> tuple[GradcheckRow, ...]:
        return tuple(row for row in self.rows if not row.ok)

    def __str__(self) -> str:
        """The table in the language in force when it is shown (autograd.i18n); numbers and names as they are."""
        lines = [" ".join((pad(_("input"), 10), pad(_("analytic"), 14, right=True), pad(_("numeric"), 14, right=True),
                           pad(_("abs error"), 10, right=True)))]
        mark = "  <-- " + _("MISMATCH")
        for row in self.rows:
            numbers = f"{row.analytic:>14.8g} {row.numeric:>14.8g} {row.abs_error:>10.2e}"
            lines.append(f"{pad(row.name, 10)} {numbers}{'' if row.ok else mark}")
        verdict = _("all gradients agree") if self else _("{failed} of {total} gradients disagree").format(
            failed=len(self.failures), total=len(self.rows))
        rule = _(" (|analytic - numeric| <= {atol} + {rtol} * |numeric|)").format(atol=f"{self.atol:g}", rtol=f"{self.rtol:g}")
        return "\n".join([*lines, verdict + rule])


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> GradcheckResult:
    """Compare the gradients of `f(*leaves)` from `backward()` with central differences.

    `f` is called with one fresh leaf Value per number in `inputs` and must return a Value.
    The table names each row after `f`'s own argument (`x1, w1, b`), or x1, x2, ... where
    `f` takes `*args`.
    """
    points = [real_number(x, "gradcheck", Message("each input")) for x in inputs]
    leaves = [Value(x, label=name) for x, name in zip(points, argument_names(f, len(points)))]

    def evaluate() -> float:
        with no_grad():
            return _output(f(*(Value(leaf.data) for leaf in leaves)), "f").data

    _output(f(*leaves), "f").backward()
    return _compare(leaves, evaluate, eps, atol, rtol)


def argument_names(f: Callable[..., object], n: int) -> list[str]:
    """The names of `f`'s first `n` positional parameters; x1, x2, ... where it has no such names."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):  # some builtins have no signature
        parameters = []
    positional = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return positional[:n] if len(positional) >= n else [f"x{i + 1}" for i in range(n)]


def gradcheck_leaves(
    f: Callable[[], Value],
    leaves: Sequence[Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> GradcheckResult:
    """Check existing leaves (say, every parameter of a network) against `f()`, built from them.

    Each leaf's `data` is nudged in place by +-eps and restored; every grad in the graph of
    `f()` (checked leaves and others alike) is left as it was.
    """
    leaves = list(leaves)
    if any(leaf.parents for leaf in leaves):
        raise ValueError(Message("gradcheck_leaves: every Value checked must be a leaf (computed from nothing)"))
    out = _output(f(), "f")
    touched = {*leaves, out, *(p for node in backward_order(out) for p in (node, *node.parents))}
    saved = {node: node.grad for node in touched}
    for leaf in leaves:
        leaf.grad = 0.0
    try:
        out.backward()

        def evaluate() -> float:
            with no_grad():
                return _output(f(), "f").data

        return _compare(leaves, evaluate, eps, atol, rtol)
    finally:
        for node, grad in saved.items():
            node.grad = grad


def _compare(leaves: list[Value], evaluate: Callable[[], float], eps: float, atol: float, rtol: float) -> GradcheckResult:
    rows = []
    for i, leaf in enumerate(leaves):
        x = leaf.data
        try:
            leaf.data = x + eps
            above = evaluate()
            leaf.data = x - eps
            below = evaluate()
        finally:
            leaf.data = x
        numeric = (above - below) / (2 * eps)
        ok = math.isfinite(numeric) and abs(leaf.grad - numeric) <= atol + rtol * abs(numeric)
        rows.append(GradcheckRow(leaf.label or f"x{i + 1}", leaf.grad, numeric, ok))
    return GradcheckResult(tuple(rows), atol, rtol)


def _output(out: object, name: str) -> Value:
    if not isinstance(out, Value):
        raise TypeError(Message("gradcheck: {name} must return a Value, got {type}", name=name, type=type(out).__name__))
    return out
