"""Drawing a computation graph with Graphviz, so a learner can see every value and gradient.

Each Value is one record node, `name | data | grad`, and each operation a small node of its
own between its inputs and its output.  The DOT source is built in pure Python and is stable
(the same graph always gives the same text); only rendering it to SVG or PNG needs Graphviz's
`dot` program, and the error says how to install it when it is missing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection, Iterable, Mapping, Optional, Protocol, Union

from .files import check_writable, write_atomically
from .i18n import font, gettext as _
from .ops import compact, lookup
from .value import Message, Value, backward_order, shown, weighted_sum_parts

if TYPE_CHECKING:
    import graphviz

INSTALL_DOT = "sudo apt-get install graphviz"
FORMATS = ("svg", "png", "pdf")
SHOWN_CHARACTERS = 40  # a longer label is cut, with "...", wherever it is shown
# Ranks crossed by edges, summed: `dot` gives each crossing a node of its own, and its layout
# time grows faster than their number (a Value used 100 times along a chain: 10,000 of them).
LAYOUT_CROSSINGS = 300

# Fill colours: what a node is in the graph, and what to look at now.
OUTPUT = "#c8e6c9"  # green: the value being differentiated
PARAMETER = "#bbdefb"  # blue: what training would change
INPUT = "#f5f5f5"  # grey: a named leaf
INTERMEDIATE = "#ffffff"
HIGHLIGHT = "#ffcc80"  # orange: the node you asked to see (or the current step's node)
HIGHLIGHT_INPUT = "#ffe0b2"  # light orange: the current step's inputs
OPERATION = "#eeeeee"

GradText = Callable[[Value], Optional[str]]


# ---- naming and numbers, shared with the step-by-step sentences ----


def graph_nodes(root: Value, order: list[Value] | None = None) -> list[Value]:
    """Every Value of `root`'s graph once, each after its inputs (so the output comes last).

    Built from `backward_order` (pass it in if you already have it), so the order is the
    same on every run: it depends only on how the graph was built.
    """
    nodes: dict[Value, None] = {}  # a dict is an ordered set
    for node in reversed(backward_order(root) if order is None else order):
        for parent in node.parents:
            nodes.setdefault(parent, None)  # only leaves are new here: inner nodes came earlier
        nodes[node] = None
    return list(nodes) or [root]


def node_names(nodes: Iterable[Value], given: Mapping[Value, str] | None = None) -> dict[Value, str]:
    """A unique short name for each node, so a drawing or sentence never has two `w1`.

    `given` names come first (a network's parameters by their place, from
    `parameter_names`).  Otherwise a label names its first node; later nodes with the same
    label get `w1_2`, `w1_3`, ... in graph order, and unlabelled nodes get v1, v2, ...  A
    generated name never takes a label or a given name that is in the graph.
    """
    nodes = list(nodes)
    given = given or {}
    labels = {node: shown_label(node.label) for node in nodes}
    used = set(labels.values()) | {given[node] for node in nodes if node in given}
    last: dict[str, int] = {}  # per stem, the last number tried

    def fresh(stem: str, start: int) -> str:
        count = last.get(stem, start)
        while True:
            count += 1
            if f"{stem}{count}" not in used:
                break
        last[stem] = count
        used.add(f"{stem}{count}")
        return f"{stem}{count}"

    names: dict[Value, str] = {}
    claimed = {given[node] for node in nodes if node in given}
    for node in nodes:
        if node in given:
            names[node] = given[node]
        elif not labels[node]:
            names[node] = fresh("v", 0)
        elif labels[node] in claimed:
            names[node] = fresh(f"{labels[node]}_", 1)
        else:
            claimed.add(labels[node])
            names[node] = labels[node]
    return names


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def shown_label(label: object, width: int = SHOWN_CHARACTERS) -> str:
    """A label as drawings, sentences and pages show it: any object as its str, control
    characters as escapes (`\\n`, `\\x00`: SVG cannot hold them, and a newline would break a
    sentence), cut to `width` characters with "..." (a megabyte label stays a name)."""
    if not isinstance(label, str):
        try:
            label = str(label)
        except Exception:  # a label whose __str__ fails is still drawn
            label = f"({type(label).__name__})"
    text = _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], label[: width + 1])
    return text if len(text) <= width and len(label) <= width else text[: width - 3] + "..."


class NamedParameters(Protocol):
    """A network (`nets.MLP`, any Module): its parameters named by their path."""

    def named_parameters(self) -> Iterable[tuple[str, Value]]: ...


Params = Union[Iterable[Value], Mapping[str, Value], NamedParameters]


def parameter_names(params: Params) -> dict[Value, str]:
    """Short names for a network's parameters, from their place in it: the weight at path
    `layers.0.neurons.3.w1` is `L1.N4.w1` (layer 1, neuron 4, weight 1), so a drawing of a
    whole network never shows `w1_5`.

    `params` is a module (anything with `named_parameters()`), a mapping from path to Value,
    or plain Values, which get no names here (their labels name them).
    """
    if hasattr(params, "named_parameters"):
        named = list(params.named_parameters())  # type: ignore[union-attr]
    elif isinstance(params, Mapping):
        named = list(params.items())
    else:
        return {}
    return {p: place_name(path) for path, p in named}


def place_name(path: str) -> str:
    """`layers.0.neurons.3.w1` -> `L1.N4.w1`: each `container.index` becomes the container's
    initial and the index counted from 1, as a teacher says "layer 1, neuron 4".  An element
    of a parameter tensor is indexed as in PyTorch, `0.weight.2.0.1.1` -> `0.weight[2,0,1,1]`
    (a Sequential's first module's kernel), `cell.weight_ih.3.0` -> `cell.weight_ih[3,0]`."""
    parts = path.split(".")
    last = max((i for i, part in enumerate(parts) if not part.isdigit()), default=-1)
    if 0 <= last < len(parts) - 1:  # the parameter's own name, then the element's indices
        parts[last:] = [f"{parts[last]}[{','.join(parts[last + 1:])}]"]
    short = []
    for i, part in enumerate(parts):
        if part.isdigit() and i > 0 and not parts[i - 1].isdigit():
            short[-1] = f"{parts[i - 1][0].upper()}{int(part) + 1}"
        else:
            short.append(part)
    return ".".join(short)


def parameter_values(params: Params) -> set[Value]:
    """The Values of `params`, whichever of its forms it takes."""
    if hasattr(params, "named_parameters"):
        return {p for _, p in params.named_parameters()}  # type: ignore[union-attr]
    if isinstance(params, Mapping):
        return set(params.values())
    return set(params)  # type: ignore[arg-type]


def number(x: float) -> str:
    """A data or grad value as shown to a learner, with at least 4 significant digits:
    4 decimals from 0.1 up (0.5000, -6.0000), 4 digits below it (0.001234, where typical MLP
    gradients are), and e-notation for tiny or huge values (1.235e-07, 3.142e+08)."""
    if x == 0 or 0.1 <= abs(x) < 1e6:
        return f"{x + 0.0:.4f}"  # + 0.0 turns -0.0 into 0.0
    return f"{x:#.4g}"  # '#' keeps trailing zeros: 0.05000, as wide as 0.5000


def op_label(node: Value) -> str:
    """The text of an operation's node, from its table entry: `+`, `tanh`, `* 2`, `a - b`."""
    return lookup(node.op).label_text(node)


# ---- the drawing ----


def draw_graph(
    root: Value,
    *,
    highlight: Iterable[Value] = (),
    show_grad: bool = True,
    rankdir: str = "LR",
    max_nodes: int = 300,
    params: Params = (),
) -> graphviz.Digraph:
    """The computation graph of `root` as a `graphviz.Digraph`.

    Values in `highlight` are coloured orange; leaves in `params` are drawn as parameters:
    pass the network itself (`params=model`) to name each by its place (`L1.N4.w1`), or
    `model.parameters()` to keep their labels.  Graphs with more than `max_nodes` Values are
    refused at once: Graphviz takes minutes on them and the picture is unreadable anyway.
    `.source` is the DOT text (no Graphviz program needed); `autograd.draw.render(graph, path)`
    writes it as SVG or PNG.
    """
    nodes = checked_nodes(root, max_nodes)
    all_zero = show_grad and len(nodes) > 1 and all(node.grad == 0 for node in nodes)
    graph = digraph(
        root,
        nodes,
        node_names(nodes, parameter_names(params)),
        grad_text=(lambda node: f"grad {number(node.grad)}") if show_grad else (lambda node: None),
        fills=dict.fromkeys(highlight, HIGHLIGHT),
        rankdir=rankdir,
        params=parameter_values(params),
    )
    if all_zero:  # learners often draw before backward() and wonder why
        graph.attr(label=_("every grad is 0 until backward() runs"), fontsize="10", fontcolor="#757575")
    return graph


def checked_nodes(root: Value, max_nodes: int) -> list[Value]:
    """The nodes of `root`'s graph, once it is known to be a Value with at most `max_nodes` of them."""
    if not isinstance(root, Value):
        raise TypeError(Message("draw_graph: root must be a Value, got {type}", type=type(root).__name__))
    nodes = graph_nodes(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"draw_graph: the graph has {len(nodes)} values, more than max_nodes={max_nodes}; "
            f"Graphviz gets very slow and the drawing unreadable on graphs this big. Draw a smaller "
            f"part, or pass max_nodes={len(nodes)} to draw it anyway"
        )
    return nodes


def digraph(
    root: Value,
    nodes: list[Value],
    names: Mapping[Value, str],
    *,
    grad_text: GradText,
    fills: Mapping[Value, str],
    rankdir: str,
    params: set[Value] = frozenset(),  # type: ignore[assignment]
    edge_labels: Mapping[tuple[Value, int], str] | None = None,
    data_text: Callable[[Value], str] | None = None,
    expand: Collection[Value] | None = None,
    fold: Mapping[Value, tuple[list[int], str]] | None = None,
    ids: Mapping[Value, str] | None = None,
    stacked: bool = False,
    column: bool = False,
) -> graphviz.Digraph:
    """The drawing itself; `grad_text(node)` says what to show as a node's grad (None: nothing),
    `data_text(node)` its data (default: the number), `edge_labels[(node, i)]` what to write on
    the edge from its i-th input.

    A part of a graph (the Stepper's close-up) passes only the `nodes` to draw and the nodes
    whose operation to `expand` (default: all), with the edges from the inputs that are
    drawn; `fold[node] = (indices, text)` draws those inputs as one box with `text`.  `ids`
    are the nodes' ids in the SVG (`id` attributes), so a page can find a node in a drawing;
    `stacked` puts a record's fields one above the other (narrow enough for a phone).
    `column` draws every box under the one before, top to bottom, whatever `rankdir` says,
    each edge's label just under the box it leaves: a drawing as narrow as its widest box,
    for a phone's screen however many inputs a node has.
    """
    import graphviz  # imported here: building graphs must not need it

    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(Message("{who}: rankdir must be one of LR, RL, TB, BT, got {rankdir!r}", who="draw_graph", rankdir=rankdir))
    if column:
        rankdir = "TB"
    graph = graphviz.Digraph(
        graph_attr={"rankdir": rankdir, "bgcolor": "white", "nodesep": "0.25", "ranksep": "0.35",
                    **({"concentrate": "true", "ranksep": "0.2"} if column else {})},  # edges to one node share a line
        node_attr={"fontname": font("Helvetica"), "fontsize": "12", "penwidth": "1.2"},
        edge_attr={"color": "#616161", "arrowsize": "0.7", "fontsize": "9", "fontcolor": "#757575", "fontname": font("Helvetica")},
    )
    ids = ids or {node: f"n{i}" for i, node in enumerate(nodes)}
    drawn = set(nodes)
    far = far_inputs(nodes, labelled=bool(edge_labels) or any(lookup(n.op).ordered for n in nodes if n.parents))
    sideways = (rankdir in ("LR", "RL")) != stacked  # records lay fields out across the rank direction
    order: list[str] = []  # with `column`, the boxes top to bottom (each node after its inputs)
    under: dict[str, list[str]] = {}  # the labels drawn under a box, of the edges leaving it
    for node in nodes:
        fill = fills.get(node)
        data = number(node.data) if data_text is None else data_text(node)
        fields = [names[node], f"data {data}", grad_text(node)]
        text = " | ".join(_escape(field) for field in fields if field is not None)
        style = _value_style(node, root, params)
        graph.node(ids[node], "{ " + text + " }" if sideways else text, shape="record", style=style[0],
                   fillcolor=fill or style[1], penwidth="2" if fill else None, id=ids[node])
        if node.parents and (expand is None or node in expand):
            op = ids[node] + "_op"
            graph.node(op, _plain(op_label(node)), shape="ellipse", style="filled",
                       fillcolor=HIGHLIGHT if fill == HIGHLIGHT else OPERATION,
                       fontsize="11", height="0.3", margin="0.04,0.02", id=op)
            folded, fold_text = (fold or {}).get(node, ([], ""))
            if folded:
                box = op + "_fold"
                graph.node(box, _escape(fold_text), shape="record", style="rounded,filled", fillcolor=PARAMETER,
                           fontsize="11", id=box)
                graph.edge(box, op, style="bold")
                order.append(box)
            for i, (side, parent) in enumerate(zip(lookup(node.op).edge_labels(node), node.parents)):
                if parent not in drawn or i in folded:
                    continue
                slope = (edge_labels or {}).get((node, i))
                label = f"{side}: {slope}" if side and slope else side or slope
                emphasis = {"fontcolor": "#e65100", "fontsize": "12", "color": "#e65100"} if slope else {}
                source = ids[parent]
                if (node, i) in far:  # drawn again beside its use: see far_inputs
                    source = f"{op}_in{i}"
                    graph.node(source, _plain(names[parent]), shape="box", style="dashed,rounded,filled",
                               fillcolor=fills.get(parent, "white"), fontsize="11", height="0.25",
                               margin="0.04,0.02", tooltip=_plain(f"{names[parent]} again: the same Value"))
                    order.append(source)
                if column and label:  # the label as a box of text under its input, the edge through it
                    text = f"{op}_label{i}"
                    graph.node(text, _plain(label), shape="plaintext", height="0.2", margin="0.02,0",
                               fontcolor=emphasis.get("fontcolor", "#757575"), fontsize=emphasis.get("fontsize", "11"))
                    graph.edge(source, text, arrowhead="none", **emphasis)
                    under.setdefault(source, []).append(text)
                    source, label = text, None
                graph.edge(source, op, label=_plain(label) if label else None, **emphasis)
            order += _plain_inputs(graph, node, op)
            graph.edge(op, ids[node])
            order.append(op)
        order.append(ids[node])
    if column:
        _one_under_another(graph, [box for source in order for box in (source, *under.get(source, ()))])
    return graph


def _one_under_another(graph: graphviz.Digraph, boxes: list[str]) -> None:
    """Invisible edges from each box to the next: `dot` gives each its own rank, one column."""
    for above, below in zip(boxes, boxes[1:]):
        graph.edge(above, below, style="invis", weight="20")


def far_inputs(nodes: list[Value], labelled: bool = False) -> set[tuple[Value, int]]:
    """The uses `(node, i)` whose input is drawn again, as a dashed box of its name, beside the use.

    An edge from a Value computed (or placed) many ranks before its use crosses each rank
    between, and `dot` lays out every crossing as a node: a Value used 100 times along a
    chain makes 10,000 of them and minutes of layout.  The ranks are estimated as `dot` sets
    them (an operation just after its last input, a leaf just before its first use); while
    the crossings sum to more than LAYOUT_CROSSINGS, the longest edges are cut, so layout
    time stays bounded by the number of Values (`max_nodes`) and short edges stay drawn.
    `labelled`: some edge has a label, for which `dot` puts a rank between every two.
    """
    rank: dict[Value, int] = {}
    for node in nodes:  # inputs first; a leaf's rank is set at its first use
        if node.parents:
            for p in node.parents:
                rank.setdefault(p, max((rank.get(q, 0) for q in node.parents), default=0))
            rank[node] = max(rank[p] for p in node.parents) + 2
    scale = 2 if labelled else 1
    spans = sorted(((scale * (rank[node] - rank[p]) - 2, index, i, node) for index, node in enumerate(nodes)
                    for i, p in enumerate(node.parents)), key=lambda s: (-s[0], s[1], s[2]))
    total = sum(span for span, *_ in spans)
    far = set()
    for span, _, i, node in spans:
        if total <= LAYOUT_CROSSINGS or span <= 0:
            break
        far.add((node, i))
        total -= span
    return far


def _plain(text: str) -> str:
    """Text for a plain (not record) label: Graphviz reads `<...>` as HTML (which can link to
    `javascript:` or read a local file) and backslashes as escapes; this reads as written."""
    import graphviz

    return graphviz.escape(shown_label(text, 200))


def _plain_inputs(graph: graphviz.Digraph, node: Value, op: str) -> list[str]:
    """A fused weighted sum of plain numbers (a first layer's inputs) keeps them out of the
    graph; draw them as dashed boxes into its operation, so the drawing shows every input.
    Returns the boxes' ids."""
    if node.op not in ("wsum", "dot"):
        return []
    boxes = []
    for i, x in enumerate(weighted_sum_parts(node)[1]):
        if not isinstance(x, Value):
            graph.node(f"{op}_x{i}", compact(x), shape="box", style="dashed,rounded", fontsize="10", height="0.25",
                       margin="0.04,0.02", color="#9e9e9e", tooltip="a plain number, not a Value")
            graph.edge(f"{op}_x{i}", op, style="dashed", color="#9e9e9e")
            boxes.append(f"{op}_x{i}")
    return boxes


def _value_style(node: Value, root: Value, params: set[Value]) -> tuple[str, str]:
    """Record style and fill by role: output, parameter, named input or intermediate."""
    if node is root:
        return "rounded,filled,bold", OUTPUT
    if node.parents:
        return "rounded,filled", INTERMEDIATE
    return ("rounded,filled,bold", PARAMETER) if node in params else ("rounded,filled", INPUT)


def _escape(text: str) -> str:
    """Text made safe inside a record label, where { } | < > and backslash are syntax."""
    text = text.replace("\\", "\\\\")
    for char in '{}|<>"':
        text = text.replace(char, "\\" + char)
    return text


# ---- rendering: needs Graphviz's `dot` program ----


def render(graph: graphviz.Digraph, path: str | os.PathLike[str], format: str | None = None) -> Path:
    """Write `graph` to `path` as SVG, PNG or PDF (from the suffix unless `format` is given).

    All or nothing: the picture is rendered in memory, written to a temporary file beside
    `path` and renamed over it, so a reader never sees a half-written file.
    """
    checked = drawing_path(path, format)
    render_all(graph, [checked])
    return checked[0]


def drawing_path(path: str | os.PathLike[str], format: str | None = None) -> tuple[Path, str]:
    """`path` and the format to write there, checked before anything is drawn: a known
    format, and a file that can be created in a folder that exists."""
    path = Path(path)
    format = (format or path.suffix.lstrip(".")).lower()
    if format not in FORMATS:
        raise ValueError(Message("cannot tell how to write {path!r}: use a file name ending in .svg, .png or .pdf", path=str(path)))
    return check_writable(path), format


def render_all(graph: graphviz.Digraph, outputs: Iterable[tuple[Path, str]]) -> None:
    """Write `graph` to each checked `(path, format)`; every picture is rendered before any
    is written, so a failure (no `dot`, say) leaves none of them half done."""
    pictures = [(path, pipe(graph, format)) for path, format in outputs]
    for path, picture in pictures:
        write_atomically(path, picture)


def pipe(graph: graphviz.Digraph, format: str) -> bytes:
    """`graph` rendered by `dot`, with an error that says what to install if it is missing."""
    import graphviz

    try:
        return graph.pipe(format=format)
    except graphviz.CalledProcessError as error:  # its message holds the whole DOT source
        why = (error.stderr or b"").decode("utf-8", "replace").strip().splitlines() or ["no message"]
        raise ValueError(f"Graphviz's dot could not draw the graph: {shown(why[0], 120)}") from None
    except graphviz.ExecutableNotFound:
        raise FileNotFoundError(
            f"Graphviz's 'dot' program is needed to render drawings; install it with: {INSTALL_DOT} "
            f"(the DOT source needs nothing: draw_graph(...).source)"
        ) from None


def _value_mimebundle(self: Value, include: object = None, exclude: object = None) -> dict[str, str]:
    """Jupyter shows a Value as the drawing of its graph (its repr and the reason, if it cannot)."""
    try:
        svg = pipe(draw_graph(self), "svg").decode()
    except (ValueError, FileNotFoundError) as why:
        return {"text/plain": f"{self!r}\n(no drawing: {why})"}
    return {"image/svg+xml": svg, "text/plain": repr(self)}


# Jupyter looks this method up on the class; attaching it here keeps drawing out of the engine
# and costs a node nothing.
Value._repr_mimebundle_ = _value_mimebundle  # type: ignore[attr-defined]
