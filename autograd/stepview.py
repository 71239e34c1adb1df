"""The Stepper: backprop to browse in a notebook or as a saved web page, and its markup.

Each step is its sentence beside a close-up of the current node's neighbourhood, drawn at
its natural size (12 pt text, so at least 11 px wherever it is shown; browser zoom enlarges
it), in a box that scrolls to the node; on a narrow screen (a phone), the same close-up drawn
top to bottom, one box under another, so the node's inputs lie above it, across the screen;
below, the whole graph, drawn once, with the current node highlighted and scrolled into view.  The web page moves the highlight with a few lines
of JavaScript; the widget, where no script runs, with a style block per step and a CSS
`scroll-initial-target` anchor.  Every text comes from `texts.py`, escaped here.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from . import i18n, texts
from .draw import (
    HIGHLIGHT,
    HIGHLIGHT_INPUT,
    INPUT,
    INTERMEDIATE,
    OUTPUT,
    PARAMETER,
    Params,
    checked_nodes,
    digraph,
    graph_nodes,
    number,
    pipe,
)
from .files import check_writable, write_atomically
from .i18n import speaking
from .steps import TOLERANCE, ForwardStep, Frame, Step, Walk, backward_steps, sentence_parts
from .value import Message, Value

if TYPE_CHECKING:
    import graphviz
    import ipywidgets

_CJK = ", ".join(f"'{name}'" for name in i18n.CJK_FONTS)  # for Chinese, where the fonts before have no glyphs
_TEXT = ("white-space:normal; overflow-wrap:anywhere; font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
         f"{_CJK}, monospace; font-size:13px; line-height:1.45")
# `contain:inline-size`: a box's content never widens what holds it (a notebook's output), it scrolls inside
_BODY = "display:flex; flex-wrap:wrap; gap:12px; align-items:flex-start; margin-top:6px; width:100%; contain:inline-size"
_TEXT_BOX = f"{_TEXT}; flex:1 1 300px; min-width:0; overflow:auto"
_FOCUS_BOX = "flex:2 1 360px; min-width:0; max-width:100%; overflow:auto; border:1px solid #e0e0e0"
# Heights by screen: on a phone the sentence and the close-up share one screen, one above the other.
# Each close-up is drawn twice: left to right for a wide screen, one box under another for a narrow
# one (a phone), so a node's inputs lie above it, never off to the side; the screen's width picks one.
# The narrow one is hidden by its own style, so a viewer that drops style blocks shows the wide one alone.
_STYLE = """<style>
.stepgrad-text { max-height: 42vh; } .stepgrad-focus { max-height: 56vh; }
@media (max-width: 700px) { .stepgrad-text { max-height: 24vh; } .stepgrad-focus { max-height: 38vh; }
  .stepgrad-wide { display: none !important; } .stepgrad-narrow { display: block !important; } }
</style>"""
_SHRINK = 0.75  # a narrow close-up may shrink to fit a phone's width, to this scale at most (12 pt text: 12 px)
_OVERVIEW_BOX = ("width:100%; box-sizing:border-box; contain:inline-size; max-height:45vh; overflow:auto; "
                 "border:1px solid #e0e0e0; margin-top:4px")
_SVG_OPEN = re.compile(r"<svg [^>]*>")
_VIEWBOX = re.compile(r'viewBox="([-0-9. ]+)"')
_WIDTH = re.compile(r'<svg width="([0-9.]+)pt"')
_TRANSLATE = re.compile(r'class="graph" transform="[^"]*translate\(([-0-9.]+)[ ,]([-0-9.]+)\)')
_NUMBERS = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_COLOURS = {"output": OUTPUT, "parameter": PARAMETER, "input": INPUT, "intermediate": INTERMEDIATE,
            "current": HIGHLIGHT, "current_input": HIGHLIGHT_INPUT}
_uid = itertools.count(1)


class Stepper:
    """Backprop to browse, one node at a time: the forward pass (each value computed), the
    backward pass (each node passing its gradient on, with its sentence), then the final
    gradients as a table.

    Each step shows a close-up of the current node's neighbourhood at reading size, and the
    whole graph with the current node highlighted, so networks of any size stay readable
    (micrograd's 2-16-16-1 too); `max_nodes` bounds the whole-graph drawing only (above it,
    the close-ups are drawn alone).  Backward steps that pass a gradient on unchanged
    (`x * 1`, a sum of one term) are skipped.

    Creating one runs the whole pass, as `root.backward()` does: grads accumulate, and a
    note says so when the graph already had some (the steps themselves show this pass
    alone).  With ipywidgets installed (`pip install 'stepgrad[widgets]'`) it displays as
    buttons in a notebook; without, as every step one after another.  `save_html(path)`
    writes the steps as one web page that works offline.  Pass `params=model` to name a
    network's parameters by their place (`L1.N4.w1`).  With `quiz=True` each backward step
    first asks for the local derivative and the new grad of one input, and keeps a score.
    `lang` is the language of its words, `"en"` or `"zh"` (default: the language in force,
    see `autograd.i18n`); formulas, names and numbers are the same in every language.
    """

    def __init__(self, root: Value, *, params: Params = (), quiz: bool = False, rankdir: str = "LR",
                 max_nodes: int = 1000, lang: str | None = None) -> None:
        checked_nodes(root, float("inf"))  # a Value, or a TypeError naming it
        self.lang = i18n.current() if lang is None else i18n.check_language(lang)
        if rankdir not in ("LR", "RL", "TB", "BT"):
            raise ValueError(Message("{who}: rankdir must be one of LR, RL, TB, BT, got {rankdir!r}", who="Stepper", rankdir=rankdir))
        if not isinstance(max_nodes, int) or max_nodes < 1:
            raise ValueError(Message("Stepper: max_nodes must be a positive int, got {max_nodes!r}", max_nodes=max_nodes))
        self.root = root
        self.quiz, self.rankdir, self.max_nodes = quiz, rankdir, max_nodes
        self.had_grads = any(node.grad for node in graph_nodes(root))
        self.steps = list(backward_steps(root, params=params))
        self.walk = self.steps[0].walk if self.steps else Walk(root, [], params)
        self.walk.lang = self.lang
        order = self.walk.order[::-1]
        self.forward = [ForwardStep(node, i, len(order), self.walk) for i, node in enumerate(order)]
        self.shown = [step for step in self.steps if not step.is_identity()]
        self.frames: list[Frame] = [*self.forward, *self.shown] + [None] * bool(self.steps)
        self.index = 0

    def __len__(self) -> int:
        return len(self.steps)

    @speaking
    def __repr__(self) -> str:
        return "\n".join(f"{step.index + 1}. {step.explain()}" for step in self.steps) or texts.no_steps()

    @speaking
    def note(self) -> str:
        """What a learner must know about this pass beyond the steps ('' if nothing)."""
        return texts.earlier_grads_note() if self.had_grads else ""

    def skipped(self) -> list[str]:
        """The names of the nodes whose backward steps are skipped: they pass the grad on unchanged."""
        return [self.walk.names[step.node] for step in self.steps if step.is_identity()]

    @speaking
    def heading(self, index: int) -> str:
        """`Step 3 of 12 · Forward 3 of 5`: where frame `index` is in the whole story."""
        frame = self.frames[index]
        if frame is None:
            part = texts.final_heading()
        elif isinstance(frame, ForwardStep):
            part = texts.forward_heading(frame.index + 1, len(self.forward))
        else:
            part = texts.backward_heading(self.shown.index(frame) + 1, len(self.shown))
        return texts.counter(index + 1, len(self.frames), part)

    @speaking
    def gradients(self) -> list[tuple[str, str, float, float]]:
        """The final table: each leaf's name, role (parameter or input), data and grad, in graph order."""
        walk = self.walk
        return [(walk.names[node], texts.ROLE_PARAMETER if node in walk.parameters else texts.ROLE_INPUT,
                 node.data, node.grad) for node in walk.nodes if not node.parents]

    @speaking
    def _ipython_display_(self) -> None:
        from IPython.display import HTML, display

        try:
            widget = self.widget()
        except ImportError:
            display(HTML(static_html(self)) if self.steps else repr(self))
            return
        bundle = widget._repr_mimebundle_()
        if self.steps:  # where no kernel runs the buttons (a saved notebook on the web), the first step
            bundle["text/html"] = first_frame_html(self)
        display(bundle, raw=True)

    @speaking
    def widget(self) -> ipywidgets.VBox:
        """Previous / Next / Play and a step slider above the current step (needs ipywidgets):
        its sentence, a close-up at reading size and the whole graph scrolled to the node."""
        return widget(self)

    def save_html(self, path: str | os.PathLike[str], title: str | None = None, *, quiz: bool | None = None,
                  rankdir: str | None = None, max_nodes: int | None = None, lang: str | None = None) -> Path:
        """Write every step, its sentence and drawings, as one self-contained web page: no
        server, no network, Previous / Next buttons and the arrow keys.  For a teacher to
        share or put on a course page.  `quiz`, `rankdir`, `max_nodes` and `lang` (the
        language of its words) override the Stepper's own.  Written atomically; returns the path."""
        own = self.lang
        self.lang = self.walk.lang = own if lang is None else i18n.check_language(lang)
        try:
            return self._save_html(path, title, quiz=quiz, rankdir=rankdir, max_nodes=max_nodes)
        finally:
            self.lang = self.walk.lang = own

    @speaking
    def _save_html(self, path: str | os.PathLike[str], title: str | None, *, quiz: bool | None,
                   rankdir: str | None, max_nodes: int | None) -> Path:
        path = check_writable(Path(path))
        options = {"quiz": self.quiz if quiz is None else quiz, "rankdir": rankdir or self.rankdir,
                   "max_nodes": self.max_nodes if max_nodes is None else max_nodes}
        write_atomically(path, html_page(self, title or texts.page_title(len(self.frames)), **options))
        return path


# ---- drawings as inline SVG, with an anchor on the node to scroll to ----


def drawing_html(graph: graphviz.Digraph, anchor: str | None, box_style: str, css_class: str,
                 narrow: bool = False) -> str:
    """`graph` as inline SVG at its natural size in a scrolling box, with an invisible anchor
    over node `anchor` that the box scrolls to (or the reason there is no drawing).  A
    `narrow` drawing (one column, for a phone) is centred and shrunk to fit its box if it
    must be (to `_SHRINK` at most); the web page scrolls it to show the node at the bottom of
    the box, under as many of its inputs as fit (a notebook, where no script runs, centres it)."""
    try:
        svg = pipe(graph, "svg").decode()
    except (ValueError, FileNotFoundError) as why:
        return f'<p class="{css_class}"><i>({html.escape(texts.NO_DRAWING.format(why=why))})</i></p>'
    return framed_svg(svg[svg.index("<svg"):], anchor, box_style, css_class, narrow)


def framed_svg(svg: str, anchor: str | None, box_style: str, css_class: str, narrow: bool = False) -> str:
    style, inner = "display:block", "position:relative; width:max-content"
    width = _WIDTH.search(svg)
    if narrow and width:
        style += f"; max-width:100%; height:auto; min-width:{_SHRINK * float(width.group(1)):.0f}pt"
        inner += "; max-width:100%; margin:0 auto"
    svg = _SVG_OPEN.sub(lambda m: m.group(0).replace("<svg ", f'<svg style="{style}" ', 1), svg, count=1)
    mark = _anchor(svg, anchor) if anchor else ""
    return f'<div class="{css_class}" style="{box_style}"><div style="{inner}">{svg}{mark}</div></div>'


def _anchor(svg: str, node_id: str) -> str:
    """A transparent box over the node `node_id` of `svg`, placed in percent of the drawing,
    which scrolling boxes bring into view (`scroll-initial-target` where no script runs)."""
    box = node_box(svg, node_id)
    if box is None:
        return ""
    left, top, width, height = (f"{100 * v:.3f}%" for v in box)
    return (f'<div class="stepgrad-anchor" data-node="{html.escape(node_id)}" style="position:absolute; left:{left}; '
            f"top:{top}; width:{width}; height:{height}; pointer-events:none; scroll-margin:24px; "
            f'scroll-snap-align:center; scroll-initial-target:nearest"></div>')


def node_box(svg: str, node_id: str) -> tuple[float, float, float, float] | None:
    """Where node `node_id` lies in `svg`: left, top, width, height as fractions of the drawing."""
    start = svg.find(f'<g id="{node_id}" class="node')
    view, shift = _VIEWBOX.search(svg), _TRANSLATE.search(svg)
    if start < 0 or not view or not shift:
        return None
    group = svg[start: svg.find("</g>", start)]
    points = [float(v) for attribute in re.findall(r' (?:points|d)="([^"]*)"', group) for v in _NUMBERS.findall(attribute)]
    xs, ys = points[0::2], points[1::2]
    if not xs:
        return None
    _, _, width, height = (float(v) for v in view.group(1).split())
    dx, dy = float(shift.group(1)), float(shift.group(2))
    return ((min(xs) + dx) / width, (min(ys) + dy) / height, (max(xs) - min(xs)) / width, (max(ys) - min(ys)) / height)


# ---- one frame: a forward step, a backward step, or the final table ----


def frame_html(stepper: Stepper, frame: Frame, *, reveal: bool = True) -> str:
    """The body of one frame (not its heading): the sentence beside the close-up, or the table.
    For the quiz, `reveal=False` gives the question instead: the step as it stood before."""
    if frame is None:
        return table_html(stepper)
    if isinstance(frame, ForwardStep):
        text = _lines([frame.explain()], "stepgrad-clause") + _rule(texts.forward_rule(frame.walk.names[frame.node]))
        return _body(text, frame, rankdir=stepper.rankdir)
    if not reveal:
        return _body(question_html(frame), frame, before=True, rankdir=stepper.rankdir)
    return _body(step_text(frame), frame, rankdir=stepper.rankdir)


def _body(text: str, frame: Step | ForwardStep, **options: Any) -> str:
    """The text beside the close-up, drawn wide (left to right) and narrow (top to bottom):
    the style block shows the one that fits the screen."""
    node = frame.walk.ids[frame.node]
    wide = drawing_html(frame.focus(**options), node, _FOCUS_BOX, "stepgrad-focus stepgrad-wide")
    narrow = drawing_html(frame.focus(**options, narrow=True), node, f"{_FOCUS_BOX}; display:none",
                          "stepgrad-focus stepgrad-narrow", narrow=True)
    return (f'{_STYLE}<div class="stepgrad-body" style="{_BODY}"><div class="stepgrad-text" style="{_TEXT_BOX}">{text}</div>'
            f"{wide}{narrow}</div>")


def step_text(step: Step) -> str:
    """The sentence, one clause a line (every input's), the weights' clauses of a long step
    folded behind a line to open, then the chain rule in words."""
    head, shown, weights, rule = sentence_parts(step, step.walk.names)
    lines = [clause + ";" for clause in shown[:-1]] + shown[-1:]
    body = f'<div class="stepgrad-head">{html.escape(head)}</div>' + _lines(lines, "stepgrad-clause")
    if weights:
        body += (f'<details class="stepgrad-folded"><summary>{html.escape(texts.folded_heading(len(weights), rule))}'
                 f"</summary>{_lines(weights, 'stepgrad-clause')}</details>")
    return f'<div class="stepgrad-sentence">{body}</div>' + _rule(step.chain_rule())


def _lines(lines: Iterable[str], css_class: str) -> str:
    return "".join(f'<div class="{css_class}">{html.escape(line)}</div>' for line in lines)


def _rule(text: str) -> str:
    return f'<div class="stepgrad-rule" style="color:#616161; margin-top:4px">{html.escape(text)}</div>'


def question_html(step: Step) -> str:
    """The quiz's question at `step`: the formula, and what to give, about one input."""
    q, names = step.question(), step.walk.names
    o = names[step.node]
    head = html.escape(f"{o} = {lookup_formula(step)}")
    return (f'<div class="stepgrad-question"><div class="stepgrad-head">{head}</div>'
            f'<div>{html.escape(texts.quiz_local(o, q.name))} ?</div><div>{html.escape(texts.quiz_grad(q.name))} ?</div></div>')


def lookup_formula(step: Step) -> str:
    from .steps import formula

    return formula(step.node, step.walk.names)


def table_html(stepper: Stepper) -> str:
    """The final gradients: every leaf, its role, data and grad."""
    out = stepper.walk.names[stepper.root]
    head = "".join(f'<th style="text-align:{"left" if i < 2 else "right"}; padding:2px 10px">{html.escape(h)}</th>'
                   for i, h in enumerate(texts.TABLE_HEAD))
    rows = "".join(
        f'<tr><td style="padding:2px 10px">{html.escape(name)}</td><td style="padding:2px 10px">{html.escape(role)}</td>'
        f'<td style="text-align:right; padding:2px 10px">{number(data)}</td>'
        f'<td style="text-align:right; padding:2px 10px">{number(grad)}</td></tr>'
        for name, role, data, grad in stepper.gradients())
    return (f'<div class="stepgrad-final" style="{_TEXT}"><p>{html.escape(texts.TABLE_INTRO.format(out=out))}</p>'
            f'<table class="stepgrad-table" style="border-collapse:collapse">'
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>")


def legend_html() -> str:
    """What the colours, dashed boxes, `?`, `so far` and the orange text along edges mean."""
    items = []
    for key, meaning in texts.LEGEND:
        if key in _COLOURS:
            mark = f'<span style="display:inline-block; width:1.6em; height:1em; background:{_COLOURS[key]}; border:1px solid #616161; border-radius:3px; vertical-align:middle"></span>'
        elif key == "dashed":
            mark = '<span style="display:inline-block; width:1.6em; height:1em; border:1px dashed #9e9e9e; border-radius:3px; vertical-align:middle"></span>'
        elif key == "edge":
            mark = '<span style="color:#e65100; font-weight:bold">→</span>'
        else:
            mark = ""
        items.append(f'<li style="margin:2px 0">{mark} {html.escape(meaning)}</li>')
    return (f'<details class="stepgrad-legend" open style="font-size:13px; margin:6px 0">'
            f"<summary>{html.escape(texts.LEGEND_TITLE)}</summary>"
            f'<ul style="list-style:none; padding-left:4px; margin:4px 0; columns:18em">{"".join(items)}</ul></details>')


# ---- the whole graph, drawn once ----


def _overview_svg(stepper: Stepper, max_nodes: int) -> str:
    """The whole graph's SVG, names and data only, drawn once per Stepper ('' if not drawn)."""
    drawn = stepper.__dict__.setdefault("_overviews", {})
    key = (stepper.rankdir, max_nodes)
    if key not in drawn:
        drawn[key] = _draw_overview(stepper, max_nodes)
    return drawn[key]


def _draw_overview(stepper: Stepper, max_nodes: int) -> str:
    walk = stepper.walk
    if len(walk.nodes) > max_nodes:
        return ""
    graph = digraph(stepper.root, walk.nodes, walk.names, grad_text=lambda node: None, fills={},
                    rankdir=stepper.rankdir, params=walk.parameters, ids=walk.ids)
    graph.graph_attr["ordering"] = "in"  # the neurons of a layer, and the time steps, in order
    try:
        svg = pipe(graph, "svg").decode()
    except (ValueError, FileNotFoundError):
        return ""
    return svg[svg.index("<svg"):]


def overview_html(stepper: Stepper, max_nodes: int, frame: Frame | None = None) -> str:
    """The whole graph in a scrolling box, `frame`'s node highlighted and anchored (the web
    page passes None and moves the highlight itself), or why it is not drawn."""
    svg = _overview_svg(stepper, max_nodes)
    caption = f'<div style="font-size:13px; color:#616161">{html.escape(texts.OVERVIEW_CAPTION)}</div>'
    if not svg:
        count = len(stepper.walk.nodes)
        why = texts.too_big(count, max_nodes) if count > max_nodes else texts.NO_DOT
        return f'<p class="stepgrad-overview"><i>({html.escape(why)})</i></p>'
    anchor = stepper.walk.ids[frame.node] if frame is not None else None
    scope = _scope(stepper)  # the style below must not reach another Stepper's drawing in the same notebook
    return caption + _highlight_style(stepper, frame, scope) + framed_svg(svg, anchor, _OVERVIEW_BOX,
                                                                           f"stepgrad-overview {scope}")


def _scope(stepper: Stepper) -> str:
    if "_scope" not in stepper.__dict__:
        stepper.__dict__["_scope"] = f"stepgrad-s{next(_uid)}"
    return stepper.__dict__["_scope"]


def highlights(stepper: Stepper, frame: Frame) -> tuple[str | None, list[str], list[str]]:
    """For the whole graph at `frame`: the current node's id, its inputs' ids, and the ids of
    the nodes not computed yet (in the forward pass)."""
    if frame is None:
        return None, [], []
    ids, node = stepper.walk.ids, frame.node
    inputs = [ids[parent] for parent in dict.fromkeys(node.parents)]
    later = [ids[f.node] for f in stepper.forward[frame.index + 1:]] if isinstance(frame, ForwardStep) else []
    return ids[node], inputs, later


def _highlight_style(stepper: Stepper, frame: Frame, scope: str) -> str:
    current, inputs, later = highlights(stepper, frame)
    if current is None:
        return ""
    scope = f".{scope}"
    rules = [f'{scope} [id="{current}"] path, {scope} [id="{current}"] polygon, {scope} [id="{current}_op"] ellipse '
             f"{{ fill: {HIGHLIGHT}; stroke-width: 3px }}"]
    rules += [f'{scope} [id="{i}"] path, {scope} [id="{i}"] polygon {{ fill: {HIGHLIGHT_INPUT} }}' for i in inputs]
    if later:
        rules.append(", ".join(f'{scope} [id="{i}"]' for i in later) + " { opacity: 0.25 }")
    return "<style>" + "\n".join(rules) + "</style>"


# ---- in a notebook ----


def step_html(step: Step) -> str:
    """A backward step on its own, as a notebook shows it: its heading, sentence and close-up."""
    heading = f'<b class="stepgrad-counter">{html.escape(texts.backward_heading(step.index + 1, step.total))}</b>'
    return f'<div style="max-width:100%">{heading}{_body(step_text(step), step)}</div>'


def _note_html(note: str) -> str:
    if not note:
        return ""
    return (f'<div class="stepgrad-note" style="white-space:normal; background:#fff8e1; border-left:4px solid '
            f'#ffb300; padding:4px 8px; margin-bottom:6px">{html.escape(note)}</div>')


def _notes(stepper: Stepper) -> str:
    skipped = stepper.skipped()
    return _note_html(stepper.note()) + (_note_html(texts.identity_note(skipped)) if skipped else "")


def first_frame_html(stepper: Stepper) -> str:
    """What a notebook viewer without a kernel shows: the legend and the first frame."""
    heading = f'<b class="stepgrad-counter">{html.escape(stepper.heading(0))}</b>'
    return _notes(stepper) + heading + frame_html(stepper, stepper.frames[0]) + legend_html()


def static_html(stepper: Stepper) -> str:
    """Every frame one after another (a notebook without ipywidgets)."""
    parts = [f'<div style="margin:8px 0"><b class="stepgrad-counter">{html.escape(stepper.heading(i))}</b>'
             f"{frame_html(stepper, frame)}</div>" for i, frame in enumerate(stepper.frames)]
    return _notes(stepper) + legend_html() + "".join(parts)


def widget(stepper: Stepper) -> ipywidgets.VBox:
    """Previous / Next / Play and a slider above the frame, the whole graph below; with the
    quiz, two answer boxes, Check and Show the answer, and the score."""
    import ipywidgets

    full = ipywidgets.Layout(width="auto", align_self="stretch")  # not 100%: widgets have margins
    snug = ipywidgets.Layout(width="auto")  # as wide as its words: the controls fit a phone's width
    previous = ipywidgets.Button(description=texts.PREVIOUS, icon="arrow-left", tooltip=texts.PREVIOUS_TIP, layout=snug)
    next_ = ipywidgets.Button(description=texts.NEXT, icon="arrow-right", tooltip=texts.NEXT_TIP, layout=snug)
    last = max(len(stepper.frames) - 1, 0)
    play = ipywidgets.Play(min=0, max=last, interval=2000, description=texts.PLAY, tooltip=texts.PLAY_TIP)
    slider = ipywidgets.IntSlider(min=0, max=last, readout=False, continuous_update=False,
                                  layout=ipywidgets.Layout(width="220px"))
    ipywidgets.jslink((play, "value"), (slider, "value"))
    counter, body, overview = ipywidgets.HTML(), ipywidgets.HTML(layout=full), ipywidgets.HTML(layout=full)
    quiz = _Quiz(stepper) if stepper.quiz else None

    @speaking
    def show(self: Stepper, index: int) -> None:  # the buttons call it later: in the Stepper's language
        stepper.index = index
        previous.disabled = index <= 0
        next_.disabled = index >= len(stepper.frames) - 1
        if not stepper.frames:
            body.value = f'<div class="stepgrad-sentence" style="{_TEXT}">{html.escape(repr(stepper))}</div>'
            return
        frame = stepper.frames[index]
        asking = quiz is not None and isinstance(frame, Step) and index not in quiz.done
        body.value = frame_html(stepper, frame, reveal=not asking)
        overview.value = overview_html(stepper, stepper.max_nodes, frame)
        if quiz is not None:
            quiz.ask(frame if asking else None)
        counter.value = f'<b class="stepgrad-counter">{html.escape(stepper.heading(index))}</b>'  # last: all is shown
        slider.value = index

    previous.on_click(lambda _: show(stepper, stepper.index - 1))
    next_.on_click(lambda _: show(stepper, stepper.index + 1))
    slider.observe(lambda change: show(stepper, change["new"]), names="value")
    controls = ipywidgets.HBox([previous, next_, play, slider, counter],
                               layout=ipywidgets.Layout(align_items="center", flex_flow="row wrap"))
    parts: list[ipywidgets.Widget] = [controls, body]
    if _notes(stepper):
        parts.insert(0, ipywidgets.HTML(_notes(stepper), layout=full))
    if quiz is not None:
        quiz.revealed = lambda: show(stepper, stepper.index)
        parts.insert(parts.index(body), quiz.box)
    parts += [ipywidgets.HTML(legend_html(), layout=full), overview]  # below the step: it explains the drawings
    show(stepper, stepper.index)
    box = ipywidgets.VBox(parts, layout=ipywidgets.Layout(width="auto"))
    box.add_class("stepgrad-stepper")
    return box


class _Quiz:
    """The widget's quiz: the answer boxes, their checking, hints and the score."""

    def __init__(self, stepper: Stepper) -> None:
        import ipywidgets

        self.stepper, self.done, self.right, self.tries = stepper, set(), 0, 0
        self.local, self.grad = ipywidgets.Text(), ipywidgets.Text()
        check = ipywidgets.Button(description=texts.CHECK, button_style="primary")
        reveal = ipywidgets.Button(description=texts.REVEAL)
        self.feedback, self.score = ipywidgets.HTML(), ipywidgets.HTML()
        intro = ipywidgets.HTML(f'<div style="font-size:13px">{html.escape(texts.QUIZ_INTRO.format(tolerance=tolerance()))}</div>')
        check.on_click(lambda _: self.check())
        reveal.on_click(lambda _: self.finish(False))
        self.form = ipywidgets.HBox([self.local, self.grad, check, reveal],
                                    layout=ipywidgets.Layout(flex_flow="row wrap", align_items="center"))
        self.box = ipywidgets.VBox([intro, self.form, self.feedback, self.score])
        self.box.add_class("stepgrad-quiz")
        self.step: Step | None = None
        self.revealed = lambda: None
        self.lang = stepper.lang  # the buttons call these methods later: in the Stepper's language
        self._score()

    @speaking
    def ask(self, step: Step | None) -> None:
        self.step, self.tries = step, 0
        self.form.layout.display = "none" if step is None else "flex"
        self.feedback.value = ""
        if step is not None:
            q, o = step.question(), step.walk.names[step.node]
            self.local.description, self.grad.description = texts.quiz_local(o, q.name), texts.quiz_grad(q.name)
            self.local.value = self.grad.value = ""

    @speaking
    def check(self) -> None:
        if self.step is None:
            return
        try:
            local, grad = float(self.local.value), float(self.grad.value)
        except ValueError:
            self.feedback.value = _feedback(texts.quiz_not_a_number(), "#b71c1c")
            return
        q = self.step.question()
        if q.check(local, grad):
            self.finish(True)
        elif self.tries == 0:
            self.tries = 1
            o = self.step.walk.names[self.step.node]
            self.feedback.value = _feedback(texts.quiz_hint(o, lookup_formula(self.step), q.name, q.slope), "#b71c1c")
        else:
            self.finish(False)

    @speaking
    def finish(self, right: bool) -> None:
        if self.step is None:
            return
        q = self.step.question()
        self.done.add(self.stepper.index)
        self.right += right
        self._score()
        self.revealed()  # shows the step, and clears the question
        self.feedback.value = _feedback(texts.quiz_right() if right else texts.quiz_wrong(number(q.local), number(q.grad)),
                                        "#1b5e20" if right else "#b71c1c")

    @speaking
    def _score(self) -> None:
        self.score.value = f'<b class="stepgrad-score">{html.escape(texts.score(self.right, len(self.done)))}</b>'


def _feedback(text: str, colour: str) -> str:
    return f'<div class="stepgrad-feedback" style="color:{colour}; font-size:13px">{html.escape(text)}</div>'


def tolerance() -> str:
    return texts.tolerance_text(*TOLERANCE)


# ---- the web page ----


def html_page(stepper: Stepper, title: str, *, quiz: bool, rankdir: str, max_nodes: int) -> str:
    """The frames of `stepper` as one HTML document that needs nothing else: inline SVG, CSS
    and a few lines of JavaScript for the buttons, the arrow keys, the highlight and the quiz."""
    if rankdir != stepper.rankdir:
        stepper = _with_rankdir(stepper, rankdir)
    sections, data = [], []
    for i, frame in enumerate(stepper.frames):
        body = frame_html(stepper, frame)
        if quiz and isinstance(frame, Step):
            body = _page_question(frame, stepper) + f'<div class="stepgrad-answer" hidden>{body}</div>'
        sections.append(f'<section class="stepgrad-step" data-index="{i}"{"" if i == 0 else " hidden"}>{body}</section>')
        current, inputs, later = highlights(stepper, frame)
        data.append({"heading": stepper.heading(i), "node": current, "inputs": inputs, "later": later})
    steps = "".join(sections) or f'<div class="stepgrad-sentence" style="{_TEXT}">{html.escape(repr(stepper))}</div>'
    quiz_bar = ""
    if quiz:
        quiz_bar = (f'<p class="stepgrad-quiz-intro" style="font-size:13px">{html.escape(texts.QUIZ_INTRO.format(tolerance=tolerance()))}</p>')
    score = f'<b id="score" class="stepgrad-score">{html.escape(texts.score(0, 0))}</b>' if quiz else ""
    return _PAGE.format(lang=i18n.current(), cjk=_CJK,
        title=html.escape(title), notes=_notes(stepper), legend=legend_html(), quiz=quiz_bar, steps=steps,
        overview=overview_html(stepper, max_nodes), frames=_json(data), previous=html.escape(texts.PREVIOUS),
        next=html.escape(texts.NEXT), keys=html.escape(texts.KEYS_HINT), score=score,
        scores=_json([texts.score(r, a) for a in range(len(stepper.shown) + 1) for r in range(a + 1)]),
        highlight=HIGHLIGHT, highlight_input=HIGHLIGHT_INPUT)


def _json(data: object) -> str:
    """JSON safe inside a <script>: no `</script>` can end it early."""
    return json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _with_rankdir(stepper: Stepper, rankdir: str) -> Stepper:
    other = object.__new__(Stepper)
    other.__dict__.update(stepper.__dict__)
    other.rankdir = rankdir
    return other


def _page_question(step: Step, stepper: Stepper) -> str:
    q, o = step.question(), step.walk.names[step.node]
    hint = texts.quiz_hint(o, lookup_formula(step), q.name, q.slope)
    wrong = texts.quiz_wrong(number(q.local), number(q.grad))
    field = ('<label style="margin-right:10px">{label} <input type="text" inputmode="decimal" name="{name}" '
             'autocomplete="off" size="10"></label>')
    return (f'<form class="stepgrad-quiz" data-local="{q.local!r}" data-grad="{q.grad!r}" data-abs="{TOLERANCE[0]!r}" '
            f'data-rel="{TOLERANCE[1]!r}" style="margin:6px 0; font-size:14px">'
            f'{field.format(label=html.escape(texts.quiz_local(o, q.name)), name="local")}'
            f'{field.format(label=html.escape(texts.quiz_grad(q.name)), name="grad")}'
            f'<button type="submit">{html.escape(texts.CHECK)}</button> '
            f'<button type="button" class="stepgrad-reveal">{html.escape(texts.REVEAL)}</button>'
            f'<div class="stepgrad-feedback" data-kind="hint" hidden style="color:#b71c1c">{html.escape(hint)}</div>'
            f'<div class="stepgrad-feedback" data-kind="wrong" hidden style="color:#b71c1c">{html.escape(wrong)}</div>'
            f'<div class="stepgrad-feedback" data-kind="nan" hidden style="color:#b71c1c">{html.escape(texts.quiz_not_a_number())}</div>'
            f'<div class="stepgrad-feedback" data-kind="right" hidden style="color:#1b5e20">{html.escape(texts.quiz_right())}</div>'
            f'</form><div class="stepgrad-question-view">{frame_html(stepper, step, reveal=False)}</div>')


_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, {cjk}, sans-serif; margin: 0 12px 16px; }}
  .stepgrad-controls {{ position: sticky; top: 0; background: white; padding: 8px 0 6px; z-index: 1;
                        display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }}
  button {{ font-size: 14px; padding: 4px 12px; }}
  input {{ font-size: 14px; }}
  .stepgrad-hint {{ color: #757575; font-size: 13px; }}
  .stepgrad-anchor {{ scroll-margin: 60px 24px 24px; }}
  .stepgrad-overview .stepgrad-current path, .stepgrad-overview .stepgrad-current polygon,
  .stepgrad-overview .stepgrad-current ellipse {{ fill: {highlight}; stroke-width: 3px; }}
  .stepgrad-overview .stepgrad-input path, .stepgrad-overview .stepgrad-input polygon {{ fill: {highlight_input}; }}
  .stepgrad-overview .stepgrad-later {{ opacity: 0.25; }}
</style>
</head>
<body>
<h1 style="font-size:18px; margin:10px 0 4px">{title}</h1>
{notes}
{quiz}
<div class="stepgrad-controls">
  <button id="previous" type="button">&larr; {previous}</button>
  <button id="next" type="button">{next} &rarr;</button>
  <b id="counter" class="stepgrad-counter"></b>
  <span class="stepgrad-hint">{keys}</span>
  {score}
</div>
{steps}
{legend}
{overview}
<script>
(function () {{
  var steps = document.querySelectorAll(".stepgrad-step"), frames = {frames}, scores = {scores}, current = 0;
  var previous = document.getElementById("previous"), next = document.getElementById("next");
  var overview = document.querySelector(".stepgrad-overview"), right = 0, asked = 0;
  function node(id) {{ return overview && id ? overview.querySelector('[id="' + id + '"]') : null; }}
  function mark(id, cls, on) {{ var n = node(id); if (n) n.classList.toggle(cls, on); }}
  function highlight(frame, on) {{
    if (!frame) return;
    mark(frame.node, "stepgrad-current", on); mark(frame.node && frame.node + "_op", "stepgrad-current", on);
    frame.inputs.forEach(function (id) {{ mark(id, "stepgrad-input", on); }});
    frame.later.forEach(function (id) {{ mark(id, "stepgrad-later", on); }});
  }}
  function centre(box, target) {{
    if (!box || !target) return;
    var b = box.getBoundingClientRect(), t = target.getBoundingClientRect();
    box.scrollLeft += t.left + t.width / 2 - (b.left + b.width / 2);
    box.scrollTop += t.top + t.height / 2 - (b.top + b.height / 2);
  }}
  function inputsFirst(box, target) {{  // a close-up shows the node with as much of its inputs as fits:
    var b = box.getBoundingClientRect(), t = target.getBoundingClientRect();  // left of it, or above it
    if (box.classList.contains("stepgrad-narrow")) box.scrollTop += t.bottom + 12 - b.bottom;
    else box.scrollLeft += t.right + 24 - b.right;
  }}
  function reveal(step) {{
    var answer = step.querySelector(".stepgrad-answer");
    if (!answer || !answer.hidden) return;
    answer.hidden = false;
    step.querySelector(".stepgrad-question-view").hidden = true;
    step.querySelectorAll(".stepgrad-quiz input, .stepgrad-quiz button").forEach(function (e) {{ e.disabled = true; }});
  }}
  function show(index) {{
    if (index < 0 || index >= steps.length) return;
    highlight(frames[current], false);
    steps[current].hidden = true;
    current = index;
    steps[current].hidden = false;
    highlight(frames[current], true);
    document.getElementById("counter").textContent = frames[current].heading;
    previous.disabled = current === 0;
    next.disabled = current >= steps.length - 1;
    centre(overview, node(frames[current].node));
    var visible = Array.prototype.filter.call(steps[current].querySelectorAll(".stepgrad-focus"),
                                              function (f) {{ return f.offsetParent !== null; }});
    visible.forEach(function (focus) {{
      var anchor = focus.querySelector(".stepgrad-anchor");
      centre(focus, anchor);
      if (anchor) inputsFirst(focus, anchor);
      if (anchor) anchor.scrollIntoView({{block: "nearest", inline: "nearest"}});
    }});
    var input = steps[current].querySelector(".stepgrad-quiz input:not([disabled])");
    if (input) input.focus();
  }}
  function close(answer, expected, abs, rel) {{
    return isFinite(answer) && Math.abs(answer - expected) <= Math.max(abs, rel * Math.abs(expected));
  }}
  function feedback(form, kind) {{
    form.querySelectorAll(".stepgrad-feedback").forEach(function (f) {{ f.hidden = f.dataset.kind !== kind; }});
  }}
  function finish(form, ok) {{
    right += ok ? 1 : 0; asked += 1;
    document.getElementById("score").textContent = scores[asked * (asked + 1) / 2 + right];
    feedback(form, ok ? "right" : "wrong");
    reveal(form.parentElement);
    next.focus();
  }}
  document.querySelectorAll(".stepgrad-quiz").forEach(function (form) {{
    var tries = 0;
    form.addEventListener("submit", function (event) {{
      event.preventDefault();
      var text = [form.elements.local.value, form.elements.grad.value];
      if (text.some(function (t) {{ return t.trim() === "" || !isFinite(Number(t)); }})) {{ feedback(form, "nan"); return; }}
      var ok = close(Number(text[0]), Number(form.dataset.local), Number(form.dataset.abs), Number(form.dataset.rel))
            && close(Number(text[1]), Number(form.dataset.grad), Number(form.dataset.abs), Number(form.dataset.rel));
      if (ok) finish(form, true);
      else if (tries++ === 0) {{ feedback(form, "hint"); form.elements.local.focus(); }}
      else finish(form, false);
    }});
    form.querySelector(".stepgrad-reveal").addEventListener("click", function () {{ finish(form, false); }});
  }});
  previous.addEventListener("click", function () {{ show(current - 1); }});
  next.addEventListener("click", function () {{ show(current + 1); }});
  document.addEventListener("keydown", function (event) {{
    if (event.target && event.target.tagName === "INPUT") {{  // typing an answer; Escape leaves the box
      if (event.key === "Escape") event.target.blur();
      return;
    }}
    if (event.key === "ArrowRight") show(current + 1);
    if (event.key === "ArrowLeft") show(current - 1);
  }});
  if (steps.length) show(0); else {{ previous.disabled = next.disabled = true; }}
}})();
</script>
</body>
</html>
"""


# Jupyter looks this method up on the class; attaching it here keeps the markup out of the steps.
Step._repr_html_ = speaking(step_html)  # type: ignore[attr-defined]
