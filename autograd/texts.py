"""Every word the Stepper shows a learner, in one place: the step sentences, the legend, the
quiz, and the web page's and widget's labels.

Each text is a function of the numbers and names it shows (or a constant), so a translation
can wrap this module alone: the sentence-building code in `steps.py` and the markup in
`stepview.py` hold no prose.  Names, numbers and formulas are passed in already written.
"""

from __future__ import annotations

# ---- the sentences ----


def backward_clause(o: str, name: str, slope: str, local: str, grad: str, added: str, now: str | None) -> str:
    """`do/dn = 1 - o**2 = 0.5000; n.grad += 0.5000 * o.grad (1.0000) = 0.5000`."""
    text = f"d{o}/d{name} = {slope}; {name}.grad += {local} * {o}.grad ({grad}) = {added}"
    return text if now is None else f"{text}, now {now}"


def folded_clauses(count: int, rule: str) -> str:
    """What stands in, in plain text, for the weights' clauses of a long step."""
    return f"and {count} weight updates like these ({rule})"


def folded_heading(count: int, rule: str) -> str:
    """The title of the weights' clauses, folded away on the page until the reader opens them."""
    return f"{count} weight updates ({rule}): show them"


def forward_sentence(o: str, formula: str, value: str) -> str:
    return f"{o} = {formula} = {value}"


def identity_note(names: list[str]) -> str:
    return f"(skipped {len(names)} step{'s' * (len(names) != 1)} that pass the gradient on unchanged: {', '.join(names)})"


def chain_rule_first(out: str) -> str:
    return (f"Chain rule: {out}.grad starts at d{out}/d{out} = 1; each input's grad grows by "
            f"d{out}/d(input), the local slope.")


def chain_rule(out: str, o: str, grad: str) -> str:
    return (f"Chain rule: d{out}/d(input) += d{o}/d(input) × d{out}/d{o}: each input's grad grows by the "
            f"local slope times {o}.grad ({grad}), the gradient arriving from {out}.")


def forward_rule(o: str) -> str:
    return f"Forward pass: {o} is computed from its inputs, which are all known by now."


def earlier_grads_note() -> str:
    return ("This graph already had gradients (from an earlier backward() or Stepper). The steps show "
            "this pass alone, as on a fresh graph; the grads now hold the sum of both passes, as "
            "backward() leaves them. Rebuild the graph, or set every grad to 0, to start afresh.")


def no_steps() -> str:
    return "no steps: the output is a leaf"


# ---- headings, buttons and the final table ----


def forward_heading(i: int, total: int) -> str:
    return f"Forward {i} of {total}"


def backward_heading(i: int, total: int) -> str:
    return f"Backward {i} of {total}"


def final_heading() -> str:
    return "Final gradients"


def counter(i: int, total: int, part: str) -> str:
    """`Step 3 of 12 · Forward 3 of 5`."""
    return f"Step {i} of {total} · {part}"


def page_title(steps: int) -> str:
    return f"Backprop, step by step: {steps} steps"


PREVIOUS = "Previous"
NEXT = "Next"
PLAY = "Play"
PREVIOUS_TIP = "the step before"
NEXT_TIP = "the next step"
PLAY_TIP = "step on its own"
KEYS_HINT = "(or the arrow keys)"
FOCUS_CAPTION = "This step, close up"
OVERVIEW_CAPTION = "The whole graph (the current node in orange)"
NO_DRAWING = "no drawing: {why}"
NO_DOT = "no drawing of the whole graph: Graphviz's dot could not draw it"


def too_big(count: int, max_nodes: int) -> str:
    return (f"the whole graph has {count} values, more than max_nodes={max_nodes}, so only the close-up of each "
            f"step is drawn; pass max_nodes={count} to draw it too")
TABLE_INTRO = "After the backward pass, each leaf's grad is d{out}/d(leaf): how much {out} changes per unit change of it."
TABLE_HEAD = ("name", "role", "data", "grad")
ROLE_PARAMETER = "parameter"
ROLE_INPUT = "input"

# ---- the legend ----

LEGEND_TITLE = "How to read the drawings"
LEGEND = (  # (fill colour or mark, meaning); the colours are draw.py's
    ("output", "the output being differentiated"),
    ("parameter", "a parameter: what training changes"),
    ("input", "a named input"),
    ("intermediate", "a value computed from others"),
    ("current", "the node of this step"),
    ("current_input", "its inputs, whose grads this step adds to"),
    ("dashed", "dashed box: a plain number, not a Value (no grad)"),
    ("unknown", "? : not computed yet (data in the forward pass, grad in the backward pass)"),
    ("so_far", "so far: more is still to be added to this grad"),
    ("edge", "orange edge label: the local derivative of this step"),
)

# ---- the quiz ----

QUIZ_INTRO = ("Quiz: before each backward step is shown, give the local derivative and the new grad of the "
              "highlighted input. An answer counts as right within {tolerance}.")


def tolerance_text(absolute: float, relative: float) -> str:
    return f"{absolute:g} or {relative:.1%} of the answer, whichever is larger"


def quiz_local(o: str, name: str) -> str:
    return f"d{o}/d{name} ="


def quiz_grad(name: str) -> str:
    return f"{name}.grad after this step ="


CHECK = "Check"
REVEAL = "Show the answer"


def quiz_right() -> str:
    return "Right."


def quiz_hint(o: str, formula: str, name: str, slope: str) -> str:
    """A wrong first answer: the rule, then a second try."""
    return (f"Not quite. Hint: {o} = {formula}, so d{o}/d{name} = {slope}; the new grad is the grad "
            f"{name} had before plus that slope times {o}.grad. Try again.")


def quiz_wrong(local: str, grad: str) -> str:
    return f"Still not right: the local derivative is {local} and the new grad is {grad}."


def quiz_not_a_number() -> str:
    return "Answer with a number, such as 0.5 or -1.25e-3."


def score(right: int, asked: int) -> str:
    return f"Score: {right} of {asked}"


def quiz_done(right: int, asked: int) -> str:
    return f"Quiz over: {right} of {asked} right."
