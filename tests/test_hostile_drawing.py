"""Drawings, the Stepper and its saved page under hostile labels and hard-to-lay-out graphs."""

from __future__ import annotations

import html.parser
import re
import xml.etree.ElementTree as ET

import pytest

from autograd import Stepper, Value, draw_graph, operation
from autograd.ops import OPS
from autograd.draw import SHOWN_CHARACTERS, far_inputs, graph_nodes, pipe
from nets import MLP
from nets.cli import main

HOSTILE = [
    "</script><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "| { } < > \" '",
    "a\nb\r\tc",
    "a\0b",
    "\x07\x1b[31m\x7f\x85\u2028",
    "\ud800 lone surrogate",
    "x\\",
    "\\",
    '<<TABLE HREF="javascript:alert(1)"><TR><TD>x</TD></TR></TABLE>>',
    '<IMG SRC="/etc/passwd"/>',
    "\\N \\G \\l",
    "y" * 1_000_000,
]


def _svg_elements(svg: str) -> list[ET.Element]:
    """Every element of `svg`, which must be well-formed XML."""
    return list(ET.fromstring(svg).iter())


def _assert_inert(svg: str) -> None:
    """Nothing in the drawing links, loads or runs anything: only text (and our tooltips)."""
    for element in _svg_elements(svg):
        tag = element.tag.rsplit("}", 1)[-1]
        assert tag not in ("image", "script", "foreignObject"), tag
        assert not any(key.endswith("href") or key.lower().startswith("on") for key in element.attrib), element.attrib


@pytest.mark.parametrize("label", HOSTILE, ids=lambda label: repr(label[:20]))
def test_a_hostile_label_is_drawn_as_text(label):
    x = Value(1.0, label=label)
    svg = pipe(draw_graph(x * 2), "svg").decode()
    _assert_inert(svg)
    assert len(svg) < 10_000  # a megabyte label is cut for display
    assert "/etc/passwd" not in svg or "&quot;/etc/passwd&quot;" in svg  # as text, never read


@pytest.mark.parametrize("label", ['<<TABLE HREF="javascript:alert(1)"><TR><TD>x</TD></TR></TABLE>>',
                                   '<IMG SRC="/etc/passwd"/>', "a\\", "a\nb\0c"])
def test_an_operation_label_is_drawn_as_text(label):
    @operation("hostile_label_op", slopes=["1"], label=label, method=False)
    def op(x):
        return x, 1.0

    try:
        svg = pipe(draw_graph(op(Value(1.0, label="x"))), "svg").decode()
    finally:
        del OPS["hostile_label_op"]  # an op of this test alone: the table's other tests must not see it
    _assert_inert(svg)


def test_a_label_that_is_not_a_str_is_drawn():
    x = Value(1.0)
    y = x * 2
    x.label = 5  # set after construction, which Value() would refuse
    assert "{ 5 |" in draw_graph(y).source
    x.label = object()
    _assert_inert(pipe(draw_graph(y), "svg").decode())


def test_a_long_label_is_cut_to_a_name_everywhere(tmp_path):
    x = Value(2.0, label="z" * 10_000_000)
    stepper = Stepper((x * x).tanh())
    assert len(stepper.steps[-1].explain()) < 500
    page = stepper.save_html(tmp_path / "steps.html")
    assert page.stat().st_size < 100_000
    assert "z" * (SHOWN_CHARACTERS - 3) + "..." in page.read_text()


class _Page(html.parser.HTMLParser):
    """What a browser would run or load from a page: its scripts and any event handlers or sources."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts, self.active, self.in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.in_script = tag == "script"
        if tag in ("script", "img", "iframe", "object", "embed", "image"):
            self.active.append(tag)
        self.active += [name for name, _ in attrs if name.startswith("on") or name in ("src", "href", "xlink:href")]

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.scripts.append(data)


def test_the_saved_page_runs_only_its_own_script(tmp_path):
    values = [Value(1.0 + i, label=label) for i, label in enumerate(HOSTILE)]
    out = values[0]
    for v in values[1:]:
        out = out * v
    path = Stepper(out).save_html(tmp_path / "steps.html", title=HOSTILE[0])
    page = _Page()
    page.feed(path.read_text())
    assert page.active == ["script"]  # the one script of ours, and nothing any label brought
    assert len(page.scripts) == 1 and "alert" not in page.scripts[0]
    for svg in re.findall(r"<svg.*?</svg>", path.read_text(), flags=re.S):
        _assert_inert(svg)


# ---- a Value used many times ----


def _sum_of(x: Value, terms: int) -> Value:
    y = x
    for _ in range(terms - 1):
        y = y + x
    return y


def _edges_from(source: str, node_id: str) -> int:
    return len(re.findall(rf"^\s*{node_id} -> ", source, flags=re.M))


def test_a_value_used_100_times_is_drawn_again_beside_its_far_uses():
    x = Value(1.0, label="x")
    y = _sum_of(x, 100)
    y.backward()
    graph = draw_graph(y)
    # Laid out naively, the 100 edges from x cross 9,900 ranks, and dot takes minutes.
    assert _edges_from(graph.source, "n0") < 40
    assert graph.source.count('label=x ') + graph.source.count("label=x]") > 60  # x drawn again
    far = far_inputs(graph_nodes(y))
    assert len(far) > 60 and all(node is not None for node, _ in far)
    assert "x again" in graph.source
    svg = pipe(graph, "svg").decode()
    _assert_inert(svg)


def test_far_inputs_leave_ordinary_graphs_alone():
    x1, w1, x2, w2, b = (Value(v, label=n) for v, n in [(2, "x1"), (-3, "w1"), (0, "x2"), (1, "w2"), (6.88, "b")])
    o = (x1 * w1 + x2 * w2 + b).tanh()
    assert far_inputs(graph_nodes(o)) == set()
    model = MLP(3, [4, 4, 1], seed=0, fused=False)  # every multiply and add, 100-odd Values
    assert far_inputs(graph_nodes(model([Value(1.0), Value(2.0), Value(3.0)]))) == set()


@pytest.mark.slow
def test_explain_of_a_value_used_100_times_writes_its_drawing_and_page(tmp_path, capsys):
    expression = "+".join(["x"] * 100)
    assert main(["explain", expression, "x=1", "--svg", str(tmp_path / "g.svg"),
                 "--html", str(tmp_path / "g.html")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  x +1\.0000 +100\.0000$", out, flags=re.M)
    _assert_inert((tmp_path / "g.svg").read_text())
    page = (tmp_path / "g.html").read_text()
    # the forward pass (x and the 99 sums), then the backward pass (one step per sum)
    assert page.count('class="stepgrad-step"') == 100 + 99
