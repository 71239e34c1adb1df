"""Backprop one node at a time: `backward_steps`, the `Step`s it yields, and `Stepper`.

`backward()` runs the chain rule in one go.  Here the same pass is cut into steps, one per
node, and each step can say what it did in a sentence (`step.explain()`) and show the
graph as it stood at that moment (`step.draw()`).  A `Stepper` browses the steps in a
notebook, or saves them as one web page (`save_html`).
"""

from __future__ import annotations

import html
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

from .draw import (
    HIGHLIGHT,
    HIGHLIGHT_INPUT,
    Params,
    checked_nodes,
    digraph,
    graph_nodes,
    node_names,
    number,
    parameter_names,
    parameter_values,
    pipe,
)
from .files import check_writable, write_atomically
from .ops import lookup
from .value import Value, accumulated, backward_order, pass_gradient

if TYPE_CHECKING:
    import graphviz
    import ipywidgets

LISTED = 6  # a step with more updates than this lists the first few and summarises the rest


class Update(NamedTuple):
    """What one input received in a step: `input.grad += local * node.grad`."""

    input: Value
    local: float  # d(node)/d(input), stored by the forward pass
    added: float  # local * node.grad
    grad: float  # input.grad right after the addition


@dataclass(frozen=True, eq=False)
class Step:
    """One node passing its gradient on to its inputs.

    `index` counts from 0 in the order of `backward()`, up to `total - 1`; `grad` is the
    node's grad, final by now, which every update multiplied.
    """

    node: Value
    index: int
    total: int
    grad: float
    updates: tuple[Update, ...]
    walk: _Walk = field(repr=False)

    def explain(self) -> str:
        """The chain rule at this node in one sentence, with the numbers."""
        return sentence(self, self.walk.names)

    def chain_rule(self) -> str:
        """The rule this step applies, in words: local slope times the gradient from above."""
        o, out = self.walk.names[self.node], self.walk.names[self.walk.root]
        if self.node is self.walk.root:
            return (f"Chain rule: {out}.grad starts at d{out}/d{out} = 1; each input's grad grows by "
                    f"d{out}/d(input), the local slope.")
        return (f"Chain rule: d{out}/d(input) += d{o}/d(input) × d{out}/d{o}: each input's grad grows by the "
                f"local slope times {o}.grad ({number(self.grad)}), the gradient arriving from {out}.")

    def draw(self, **options: Any) -> graphviz.Digraph:
        """The graph as it stood after this step: this node and its inputs in orange, each
        edge into this node labelled with its local derivative, grads shown where computed
        (`so far` while more is still to come, `?` where none yet).

        Options: `rankdir`, `max_nodes`, `params`, as for `draw_graph`.
        """
        return self.walk.draw(self, **options)

    def _repr_html_(self) -> str:
        """In a notebook: the sentence above the drawing."""
        return f'<div style="{_BOX}">{_step_heading(self)}{_step_text(self)}{_step_drawing(self)}</div>'


class _Walk:
    """What the steps of one backward pass share: the graph, its names and the steps so far."""

    def __init__(self, root: Value, order: list[Value], params: Params) -> None:
        self.root = root
        self.order = order
        self.nodes = graph_nodes(root, order)
        self.params = params
        self.steps: list[Step] = []

    @cached_property
    def names(self) -> dict[Value, str]:
        return node_names(self.nodes, parameter_names(self.params))

    @cached_property
    def last_use(self) -> dict[Value, int]:
        """For each node, the index of the last step that adds to its grad."""
        return {parent: i for i, node in enumerate(self.order) for parent in node.parents}

    def pass_on(self, node: Value) -> Step:
        """`node` gives its gradient to its inputs by `pass_gradient`, as in `backward()`;
        the record of what each input received (an input used twice, as in x*x, twice)."""
        g = node.grad
        before = [parent.grad for parent in node.parents]
        pass_gradient(node)
        grads: dict[Value, float] = {}  # each input's grad right after its own addition, as pass_gradient summed
        updates = []
        for parent, local, earlier in zip(node.parents, node.local_grads, before):
            added = local * g
            grads[parent] = grads.get(parent, earlier) + added
            updates.append(Update(parent, local, added, grads[parent]))
        step = Step(node, len(self.steps), len(self.order), g, tuple(updates), self)
        self.steps.append(step)
        return step

    def draw(self, step: Step, *, rankdir: str = "LR", max_nodes: int = 300, params: Params | None = None
             ) -> graphviz.Digraph:
        checked_nodes(self.root, max_nodes)
        known = {self.root: 1.0}  # the grads as they stood after `step`
        for earlier in self.steps[: step.index + 1]:
            known.update((update.input, update.grad) for update in earlier.updates)

        def grad_text(node: Value) -> str:
            if node not in known:
                return "grad ?"
            done = self.last_use.get(node, -1) <= step.index
            return f"grad {number(known[node])}" + ("" if done else " so far")

        fills = {update.input: HIGHLIGHT_INPUT for update in step.updates}
        fills[step.node] = HIGHLIGHT
        o = self.names[step.node]
        slopes = {(step.node, i): f"d{o}/d{self.names[update.input]} = {number(update.local)}"
                  for i, update in enumerate(step.updates)}
        return digraph(self.root, self.nodes, self.names, grad_text=grad_text, fills=fills, rankdir=rankdir,
                       params=parameter_values(self.params if params is None else params), edge_labels=slopes)


def backward_steps(root: Value, *, params: Params = ()) -> Iterator[Step]:
    """Do `root.backward()` one node at a time, yielding a Step after each node has passed
    its gradient on to its inputs.

    The order and the arithmetic are those of `backward()`, so a yielded step's node has its
    final grad.  The output's grad is seeded with 1.0 before the first step; leaves yield no
    step.  A node whose grad is 0 still gets its step, adding zeros (`backward()` skips that
    work; the grads come out the same), so a learner sees where the gradient stopped.

    Safe to run again: the steps show this pass alone, the same sentences and numbers as on
    a fresh graph, even if the graph already has grads (from an earlier `backward()` or
    walk).  Once the pass is complete, those earlier grads are added back, so every grad ends
    as `backward()` would leave it: accumulated.  The last step is yielded after that, so
    stopping there leaves nothing half done.  A walk abandoned earlier (`break`, `.close()`,
    or dropping the generator) puts every grad back as it was before the walk began.  Do not
    change the graph or call `backward()` on it during a walk.

    `params` (a network, or its parameters) names and colours parameters in the sentences
    and drawings, as for `draw_graph`.
    """
    order = backward_order(root)
    walk = _Walk(root, order, params)
    before = [(node, node.grad) for node in walk.nodes]
    finished = False
    try:
        if not order:
            root.grad += 1.0  # a leaf output: nothing to step through
            finished = True
            return
        for node, _ in before:
            node.grad = 0.0  # this pass alone, as on a fresh graph
        root.grad = 1.0
        for node in order[:-1]:
            yield walk.pass_on(node)
        last = walk.pass_on(order[-1])
        _add_back(before, walk.steps)
        finished = True
        yield last
    finally:
        if not finished:
            for node, grad in before:
                node.grad = grad


def _add_back(before: list[tuple[Value, float]], steps: list[Step]) -> None:
    """Add the grads from before a walk to its pass, bit for bit as `backward()` would have:
    an inner node gets its earlier grad added to this pass's, a leaf its additions replayed
    onto its earlier grad (`backward()` adds into leaves directly, skipping zero grads)."""
    for node, grad in before:
        node.grad = accumulated(node, grad) if node.parents else grad
    for step in steps:
        if step.grad:
            for update in step.updates:
                if not update.input.parents:
                    update.input.grad = accumulated(update.input, update.added)


class Stepper:
    """A backward pass to browse: Previous / Next (or Play) through the steps, each with its
    sentence and drawing.

    Creating one runs the whole pass, as `root.backward()` does: grads accumulate, and a
    note says so when the graph already had some (the steps themselves show this pass
    alone).  With ipywidgets installed (`pip install 'stepgrad[widgets]'`) it displays as
    buttons in a notebook; without, as every step one after another.  `save_html(path)`
    writes the steps as one web page that works offline.  Pass `params=model` to name a
    network's parameters by their place (`L1.N4.w1`).
    """

    def __init__(self, root: Value, *, params: Params = ()) -> None:
        self.root = root
        self.had_grads = any(node.grad for node in graph_nodes(root))
        self.steps = list(backward_steps(root, params=params))
        self.index = 0

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return "\n".join(f"{step.index + 1}. {step.explain()}" for step in self.steps) or "no steps: the output is a leaf"

    def note(self) -> str:
        """What a learner must know about this pass beyond the steps ('' if nothing)."""
        if not self.had_grads:
            return ""
        return ("This graph already had gradients (from an earlier backward() or Stepper). The steps show "
                "this pass alone, as on a fresh graph; the grads now hold the sum of both passes, as "
                "backward() leaves them. Rebuild the graph, or set every grad to 0, to start afresh.")

    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        try:
            widget = self.widget()
        except ImportError:
            display(HTML(_note_html(self.note()) + "".join(step._repr_html_() for step in self.steps))
                    if self.steps else repr(self))
            return
        bundle = widget._repr_mimebundle_()
        if self.steps:  # where no kernel runs the buttons (a saved notebook on the web), the first step
            bundle["text/html"] = _note_html(self.note()) + self.steps[0]._repr_html_()
        display(bundle, raw=True)

    def widget(self) -> ipywidgets.VBox:
        """Previous / Next / Play and a step slider above the current step (needs ipywidgets).

        The controls stay above the drawing, and the drawing is scaled to fit the output's
        width, so the buttons and the highlighted node stay in view at every step.
        """
        import ipywidgets

        full = ipywidgets.Layout(width="auto", align_self="stretch")  # not 100%: widgets have margins
        previous = ipywidgets.Button(description="Previous", icon="arrow-left", tooltip="the step before")
        next_ = ipywidgets.Button(description="Next", icon="arrow-right", tooltip="the next step")
        last = max(len(self.steps) - 1, 0)
        play = ipywidgets.Play(min=0, max=last, interval=2000, description="Play", tooltip="step on its own")
        slider = ipywidgets.IntSlider(min=0, max=last, readout=False, continuous_update=False,
                                      layout=ipywidgets.Layout(width="220px"))
        ipywidgets.jslink((play, "value"), (slider, "value"))
        counter = ipywidgets.HTML()
        text, drawing = ipywidgets.HTML(layout=full), ipywidgets.HTML(layout=full)

        def show(index: int) -> None:
            self.index = index
            previous.disabled = index <= 0
            next_.disabled = index >= len(self.steps) - 1
            if not self.steps:
                text.value = _sentence_html(repr(self))
                return
            step = self.steps[index]
            counter.value = _step_heading(step)
            text.value = _step_text(step)
            drawing.value = _step_drawing(step)
            slider.value = index

        previous.on_click(lambda _: show(self.index - 1))
        next_.on_click(lambda _: show(self.index + 1))
        slider.observe(lambda change: show(change["new"]), names="value")
        show(self.index)
        controls = ipywidgets.HBox([previous, next_, play, slider, counter],
                                   layout=ipywidgets.Layout(align_items="center", flex_flow="row wrap"))
        parts = [controls, text, drawing]
        if self.note():
            parts.insert(0, ipywidgets.HTML(_note_html(self.note()), layout=full))
        box = ipywidgets.VBox(parts, layout=ipywidgets.Layout(width="auto"))
        box.add_class("stepgrad-stepper")
        return box

    def save_html(self, path: str | os.PathLike[str], title: str | None = None) -> Path:
        """Write every step, its sentence and drawing, as one self-contained web page: no
        server, no network, Previous / Next buttons and the arrow keys.  For a teacher to
        share or put on a course page.  Written atomically; returns the path."""

        path = check_writable(Path(path))
        write_atomically(path, html_page(self, title or f"Backprop, step by step: {len(self)} steps"))
        return path


# ---- the markup shared by the notebook widget and the web page ----

_BOX = "max-width:100%; overflow:hidden"
_TEXT = ("white-space:normal; overflow-wrap:anywhere; font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
         "monospace; font-size:13px; line-height:1.45")
_SVG_SIZE = re.compile(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"')


def _step_heading(step: Step) -> str:
    return f'<b class="stepgrad-counter">Step {step.index + 1} of {step.total}</b>'


def _sentence_html(text: str) -> str:
    return f'<div class="stepgrad-sentence" style="{_TEXT}">{html.escape(text)}</div>'


def _step_text(step: Step) -> str:
    """The sentence, one clause a line, then the chain rule in words."""
    head, clauses = sentence_parts(step, step.walk.names)
    lines = [head] + [clause + ";" for clause in clauses[:-1]] + clauses[-1:]
    body = "".join(f"<div>{html.escape(line)}</div>" for line in lines)
    rule = f'<div class="stepgrad-rule" style="{_TEXT}; color:#616161; margin-top:4px">{html.escape(step.chain_rule())}</div>'
    return f'<div class="stepgrad-sentence" style="{_TEXT}">{body}</div>' + rule


def _step_drawing(step: Step) -> str:
    """The step's drawing as inline SVG, scaled down to fit the width and most of the window's
    height (never up: small graphs keep their size), or the reason there is none."""
    try:
        svg = pipe(step.draw(), "svg").decode()
    except (ValueError, FileNotFoundError) as why:
        return f"<p><i>(no drawing: {html.escape(str(why))})</i></p>"
    svg = svg[svg.index("<svg"):]
    svg = _SVG_SIZE.sub(r'<svg width="\1pt" style="max-width:100%; height:auto; max-height:62vh"', svg, count=1)
    return f'<div class="stepgrad-drawing" style="{_BOX}; margin-top:6px">{svg}</div>'


def _note_html(note: str) -> str:
    if not note:
        return ""
    return (f'<div class="stepgrad-note" style="white-space:normal; background:#fff8e1; border-left:4px solid '
            f'#ffb300; padding:4px 8px; margin-bottom:6px">{html.escape(note)}</div>')


def html_page(stepper: Stepper, title: str) -> str:
    """The steps of `stepper` as one HTML document that needs nothing else: inline SVG, CSS
    and a few lines of JavaScript for the buttons and the arrow keys."""
    sections = "".join(
        f'<section class="stepgrad-step" data-index="{step.index}"{"" if step.index == 0 else " hidden"}>'
        f'{_step_text(step)}{_step_drawing(step)}</section>' for step in stepper.steps
    ) or _sentence_html(repr(stepper))
    return _PAGE.format(title=html.escape(title), note=_note_html(stepper.note()), steps=sections,
                        total=len(stepper.steps), headings=json.dumps([f"Step {i + 1} of {len(stepper)}"
                                                                        for i in range(len(stepper))]))


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0 16px 16px; }}
  .stepgrad-controls {{ position: sticky; top: 0; background: white; padding: 10px 0 6px; z-index: 1;
                        display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }}
  button {{ font-size: 14px; padding: 4px 12px; }}
  .stepgrad-hint {{ color: #757575; font-size: 13px; }}
</style>
</head>
<body>
<h1 style="font-size:18px">{title}</h1>
{note}
<div class="stepgrad-controls">
  <button id="previous" type="button">&larr; Previous</button>
  <button id="next" type="button">Next &rarr;</button>
  <b id="counter" class="stepgrad-counter"></b>
  <span class="stepgrad-hint">(or the arrow keys)</span>
</div>
{steps}
<script>
(function () {{
  var steps = document.querySelectorAll(".stepgrad-step"), headings = {headings}, current = 0;
  var previous = document.getElementById("previous"), next = document.getElementById("next");
  function show(index) {{
    if (index < 0 || index >= steps.length) return;
    steps[current].hidden = true;
    current = index;
    steps[current].hidden = false;
    document.getElementById("counter").textContent = headings[current] || "no steps";
    previous.disabled = current === 0;
    next.disabled = current >= steps.length - 1;
  }}
  previous.addEventListener("click", function () {{ show(current - 1); }});
  next.addEventListener("click", function () {{ show(current + 1); }});
  document.addEventListener("keydown", function (event) {{
    if (event.key === "ArrowRight") show(current + 1);
    if (event.key === "ArrowLeft") show(current - 1);
  }});
  if (steps.length) show(0); else {{ previous.disabled = next.disabled = true; }}
}})();
</script>
</body>
</html>
"""


# ---- the sentences ----


def sentence(step: Step, names: dict[Value, str]) -> str:
    """`o = tanh(n): do/dn = 1 - o**2 = 0.5000; n.grad += 0.5000 * o.grad (1.0000) = 0.5000`.

    One clause per input, its slope as the op's table entry writes it; a fused node with
    many inputs lists the first few and summarises the rest.
    """
    head, clauses = sentence_parts(step, names)
    return f"{head} " + "; ".join(clauses)


def sentence_parts(step: Step, names: dict[Value, str]) -> tuple[str, list[str]]:
    """The sentence as its head, `o = tanh(n):`, and its clauses (shown a line each)."""
    node, o = step.node, names[step.node]
    entry = lookup(node.op)
    clauses = []
    for update, slope in zip(step.updates, entry.slope_texts(node, names)):
        name = names[update.input]
        value = number(update.local)
        text = f"d{o}/d{name} = {_with_slope(value, slope)}; "
        text += f"{name}.grad += {value} * {o}.grad ({number(step.grad)}) = {number(update.added)}"
        clauses.append(text + ("" if update.grad == update.added else f", now {number(update.grad)}"))
    if len(clauses) > LISTED and entry.summary:
        clauses[3:] = [f"and {len(clauses) - 3} more like these ({entry.summary.format(out=o)})"]
    return f"{o} = {entry.formula_text(node, names)}:", clauses


def formula(node: Value, names: dict[Value, str]) -> str:
    """The right-hand side of `node = ...`, in its inputs' names: `x1 * w1`, `tanh(n)`."""
    return lookup(node.op).formula_text(node, names)


def _with_slope(value: str, slope: str) -> str:
    """The local slope's number with its formula: `z = 2.0000`; a rule with cases (relu's
    `1 if x > 0 else 0`) after the number, in brackets, so it does not read as `0 = 1.0000`."""
    if _is_number(slope):
        return value
    return f"{value} ({slope})" if " if " in slope else f"{slope} = {value}"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
