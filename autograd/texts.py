"""Every word the Stepper shows a learner, in one place: the step sentences, the legend, the
quiz, and the web page's and widget's labels.

Each text is a function of the numbers and names it shows (or a constant), so a translation
can wrap this module alone: the sentence-building code in `steps.py` and the markup in
`stepview.py` hold no prose.  Names, numbers and formulas are passed in already written.

Every text is looked up in the catalogue of the language in force (`autograd.i18n`: a
Stepper's `lang`, `--lang`, or the environment) when it is shown, the English being the
fallback; the constants below (`PREVIOUS`, `LEGEND`...) are read through the module's
`__getattr__`, so `texts.PREVIOUS` is already in that language.
"""

from __future__ import annotations

from typing import Any

from .i18n import N_, gettext as _, ngettext

# ---- the sentences ----


def backward_clause(o: str, name: str, slope: str, local: str, grad: str, added: str, now: str | None) -> str:
    """`do/dn = 1 - o**2 = 0.5000; n.grad += 0.5000 * o.grad (1.0000) = 0.5000`."""
    text = f"d{o}/d{name} = {slope}; {name}.grad += {local} * {o}.grad ({grad}) = {added}"
    return text if now is None else text + _(", now {now}").format(now=now)


def folded_clauses(count: int, rule: str) -> str:
    """What stands in, in plain text, for the weights' clauses of a long step."""
    return _("and {count} weight updates like these ({rule})").format(count=count, rule=rule)


def folded_heading(count: int, rule: str) -> str:
    """The title of the weights' clauses, folded away on the page until the reader opens them."""
    return _("{count} weight updates ({rule}): show them").format(count=count, rule=rule)


def grad_label(grad: str | None, done: bool) -> str:
    """A node's grad in a step's drawing: `grad ?` (none yet), `grad 0.5000 so far` (more to come)."""
    if grad is None:
        return "grad ?"
    return f"grad {grad}" + ("" if done else _(" so far"))


def folded_weights(count: int, first: str, last: str) -> str:
    """The box that stands for a long step's weights in its close-up: `16 weights: w1 … w16`."""
    return _("{count} weights").format(count=count) + f": {first} … {last}"


def forward_sentence(o: str, formula: str, value: str) -> str:
    return f"{o} = {formula} = {value}"


def identity_note(names: list[str]) -> str:
    return ngettext("(skipped {n} step that pass the gradient on unchanged: {names})",
                    "(skipped {n} steps that pass the gradient on unchanged: {names})",
                    len(names)).format(n=len(names), names=", ".join(names))


def chain_rule_first(out: str) -> str:
    return _("Chain rule: {out}.grad starts at d{out}/d{out} = 1; each input's grad grows by "
             "d{out}/d(input), the local slope.").format(out=out)


def chain_rule(out: str, o: str, grad: str) -> str:
    return _("Chain rule: d{out}/d(input) += d{o}/d(input) × d{out}/d{o}: each input's grad grows by the "
             "local slope times {o}.grad ({grad}), the gradient arriving from {out}.").format(out=out, o=o, grad=grad)


def forward_rule(o: str) -> str:
    return _("Forward pass: {o} is computed from its inputs, which are all known by now.").format(o=o)


def earlier_grads_note() -> str:
    return _("This graph already had gradients (from an earlier backward() or Stepper). The steps show "
             "this pass alone, as on a fresh graph; the grads now hold the sum of both passes, as "
             "backward() leaves them. Rebuild the graph, or set every grad to 0, to start afresh.")


def no_steps() -> str:
    return _("no steps: the output is a leaf")


# ---- headings, buttons and the final table ----


def forward_heading(i: int, total: int) -> str:
    return _("Forward {i} of {total}").format(i=i, total=total)


def backward_heading(i: int, total: int) -> str:
    return _("Backward {i} of {total}").format(i=i, total=total)


def final_heading() -> str:
    return _("Final gradients")


def counter(i: int, total: int, part: str) -> str:
    """`Step 3 of 12 · Forward 3 of 5`."""
    return _("Step {i} of {total} · {part}").format(i=i, total=total, part=part)


def page_title(steps: int) -> str:
    return _("Backprop, step by step: {steps} steps").format(steps=steps)


def too_big(count: int, max_nodes: int) -> str:
    return _("the whole graph has {count} values, more than max_nodes={max_nodes}, so only the close-up of each "
             "step is drawn; pass max_nodes={count} to draw it too").format(count=count, max_nodes=max_nodes)


# ---- the quiz ----


def tolerance_text(absolute: float, relative: float) -> str:
    return _("{absolute} or {relative} of the answer, whichever is larger").format(
        absolute=f"{absolute:g}", relative=f"{relative:.1%}")


def quiz_local(o: str, name: str) -> str:
    return f"d{o}/d{name} ="


def quiz_grad(name: str) -> str:
    return _("{name}.grad after this step =").format(name=name)


def quiz_right() -> str:
    return _("Right.")


def quiz_hint(o: str, formula: str, name: str, slope: str) -> str:
    """A wrong first answer: the rule, then a second try."""
    return _("Not quite. Hint: {o} = {formula}, so d{o}/d{name} = {slope}; the new grad is the grad "
             "{name} had before plus that slope times {o}.grad. Try again.").format(
        o=o, formula=formula, name=name, slope=slope)


def quiz_wrong(local: str, grad: str) -> str:
    return _("Still not right: the local derivative is {local} and the new grad is {grad}.").format(local=local, grad=grad)


def quiz_not_a_number() -> str:
    return _("Answer with a number, such as 0.5 or -1.25e-3.")


def score(right: int, asked: int) -> str:
    return _("Score: {right} of {asked}").format(right=right, asked=asked)


def quiz_done(right: int, asked: int) -> str:
    return _("Quiz over: {right} of {asked} right.").format(right=right, asked=asked)


# ---- the constants: English here, read as `texts.NAME` in the language in force ----

_CONSTANTS: dict[str, Any] = {
    "PREVIOUS": N_("Previous"),
    "NEXT": N_("Next"),
    "PLAY": N_("Play"),
    "PREVIOUS_TIP": N_("the step before"),
    "NEXT_TIP": N_("the next step"),
    "PLAY_TIP": N_("step on its own"),
    "KEYS_HINT": N_("(or the arrow keys)"),
    "FOCUS_CAPTION": N_("This step, close up"),
    "OVERVIEW_CAPTION": N_("The whole graph (the current node in orange)"),
    "NO_DRAWING": N_("no drawing: {why}"),
    "NO_DOT": N_("no drawing of the whole graph: Graphviz's dot could not draw it"),
    "TABLE_INTRO": N_("After the backward pass, each leaf's grad is d{out}/d(leaf): how much {out} changes per unit "
                      "change of it."),
    "TABLE_HEAD": (N_("name"), N_("role"), N_("data"), N_("grad")),
    "ROLE_PARAMETER": N_("parameter"),
    "ROLE_INPUT": N_("input"),
    "LEGEND_TITLE": N_("How to read the drawings"),
    "LEGEND": (  # (fill colour or mark, meaning); the colours are draw.py's
        ("output", N_("the output being differentiated")),
        ("parameter", N_("a parameter: what training changes")),
        ("input", N_("a named input")),
        ("intermediate", N_("a value computed from others")),
        ("current", N_("the node of this step")),
        ("current_input", N_("its inputs, whose grads this step adds to")),
        ("dashed", N_("dashed box: a plain number, not a Value (no grad)")),
        ("unknown", N_("? : not computed yet (data in the forward pass, grad in the backward pass)")),
        ("so_far", N_("so far: more is still to be added to this grad")),
        ("edge", N_("orange text along an edge: the local derivative of this step")),
    ),
    "QUIZ_INTRO": N_("Quiz: before each backward step is shown, give the local derivative and the new grad of the "
                     "highlighted input. An answer counts as right within {tolerance}."),
    "CHECK": N_("Check"),
    "REVEAL": N_("Show the answer"),
}


def __getattr__(name: str) -> Any:
    try:
        value = _CONSTANTS[name]
    except KeyError:
        raise AttributeError(f"module 'autograd.texts' has no attribute {name!r}") from None
    if name == "LEGEND":
        return tuple((key, _(meaning)) for key, meaning in value)
    return tuple(_(v) for v in value) if isinstance(value, tuple) else _(value)
