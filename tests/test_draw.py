"""draw_graph: the DOT source, its stability, rendering with the real `dot`, and refusals."""

from __future__ import annotations

import os
import shutil

import graphviz
import pytest

from autograd import Value, draw_graph
from autograd.draw import graph_nodes, node_names, number, render

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (make dot)")


def neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def test_records_show_name_data_and_grad():
    o = neuron()
    o.backward()
    source = draw_graph(o).source
    assert '"{ x1 | data 2.0000 | grad -1.5000 }"' in source
    assert '"{ n | data 0.8814 | grad 0.5000 }"' in source
    assert '"{ o | data 0.7071 | grad 1.0000 }"' in source
    assert '"{ v1 | data -6.0000 | grad 0.5000 }"' in source  # an unlabelled node gets a short name
    assert source.count("shape=record") == 10 and source.count("shape=ellipse") == 5  # 10 values, 5 operations


def test_each_operation_is_a_node_between_its_inputs_and_its_output():
    o = neuron()
    source = draw_graph(o).source
    ids = {node.label or f"#{i}": f"n{i}" for i, node in enumerate(graph_nodes(o))}
    n, o_ = ids["n"], ids["o"]
    assert f"{n} -> {o_}_op" in source and f"{o_}_op -> {o_}" in source
    assert f'{o_}_op [label=tanh' in source


def test_order_matters_for_minus_so_its_inputs_are_marked():
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    source = draw_graph(x - y).source
    assert 'label="a - b"' in source and "n0 -> n2_op [label=a]" in source and "n1 -> n2_op [label=b]" in source


def test_roles_are_styled_apart():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    out = (2 - x * w).tanh()
    lines = draw_graph(out, params=[w]).source.splitlines()

    def line(text: str) -> str:
        return next(line for line in lines if text in line)

    assert 'fillcolor="#f5f5f5"' in line("{ x |")  # an input
    assert 'fillcolor="#bbdefb"' in line("{ w |") and "bold" in line("{ w |")  # a parameter
    assert 'fillcolor="#ffffff"' in line("{ v1 |")  # an intermediate node
    assert 'fillcolor="#c8e6c9"' in line("{ v3 |")  # the output
    assert any('label="2 -"' in line for line in lines)  # the plain number of `2 - ...` belongs to its op


def test_highlighted_nodes_are_coloured():
    o = neuron()
    n = o.parents[0]
    lines = draw_graph(o, highlight=[n]).source.splitlines()
    assert [line for line in lines if "#ffcc80" in line] == [
        line for line in lines if "{ n |" in line or (line.strip().startswith("n8_op [") and "ellipse" in line)]


def test_show_grad_false_leaves_grads_out():
    source = draw_graph(neuron(), show_grad=False).source
    assert "grad" not in source and '"{ x1 | data 2.0000 }"' in source


def test_before_backward_the_drawing_says_why_grads_are_zero():
    o = neuron()
    assert "every grad is 0 until backward() runs" in draw_graph(o).source
    o.backward()
    assert "until backward()" not in draw_graph(o).source


def test_top_to_bottom_lays_record_fields_across():
    source = draw_graph(neuron(), rankdir="TB").source
    assert "rankdir=TB" in source and '"x1 | data 2.0000 | grad 0.0000"' in source
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_graph(neuron(), rankdir="sideways")


def test_the_same_graph_gives_the_same_source():
    first, second = neuron(), neuron()  # built twice: different objects, different id()s
    first.backward()
    second.backward()
    assert draw_graph(first).source == draw_graph(second).source
    assert draw_graph(first).source == draw_graph(first).source


def test_names_are_in_computed_order_and_skip_taken_labels():
    x = Value(1.0, label="v1")
    y = (x * 2).exp()
    assert list(node_names(graph_nodes(y)).values()) == ["v1", "v2", "v3"]
    assert list(node_names(graph_nodes(Value(2.0) - x)).values()) == ["v2", "v1", "v3"]  # unlabelled leaf too


def test_repeated_labels_get_a_suffix_in_graph_order():
    """Every Neuron labels its weights w1, w2, ... and its bias b: one name must mean one node."""
    x1, x2 = Value(1.0, label="x1"), Value(2.0, label="x2")
    neurons = [[Value(0.1 * k, label=label) for label in ("w1", "w2", "b")] for k in range(1, 4)]
    outs = [(w1 * x1 + w2 * x2 + b).tanh() for w1, w2, b in neurons]
    names = node_names(graph_nodes(outs[0] + outs[1] + outs[2]))
    assert len(set(names.values())) == len(names)
    assert [names[w] for w, _, _ in neurons] == ["w1", "w1_2", "w1_3"]
    assert [names[b] for _, _, b in neurons] == ["b", "b_2", "b_3"]


def test_a_suffix_never_takes_a_label_already_in_the_graph():
    first, second, taken = Value(1.0, label="a"), Value(2.0, label="a"), Value(3.0, label="a_2")
    names = node_names(graph_nodes(first * second + taken))
    assert [names[first], names[second], names[taken]] == ["a", "a_3", "a_2"]


def test_numbers_keep_four_digits_that_matter():
    assert [number(x) for x in (0.5, -6.0, 0.70710678, -0.0, 0.0, 12345.678)] == [
        "0.5000", "-6.0000", "0.7071", "0.0000", "0.0000", "12345.6780"]
    assert [number(x) for x in (1.23456e-7, -3.14159e8, 0.00012345)] == ["1.235e-07", "-3.142e+08", "0.0001234"]


def test_small_numbers_keep_four_significant_digits():
    """Typical MLP gradients are around 0.001: `0.0012` would hide half of what they say."""
    assert [number(x) for x in (0.001234, -0.0123456, 0.05, 0.09999996, 0.1, 0.99996)] == [
        "0.001234", "-0.01235", "0.05000", "0.1000", "0.1000", "1.0000"]


def test_record_syntax_in_labels_is_escaped():
    x = Value(1.0, label='a|b{c}<d>"e\\')
    source = draw_graph(x * 2).source
    assert r'a\|b\{c\}\<d\>\"e\\' in source


@needs_dot
def test_escaped_labels_render(tmp_path):
    x = Value(1.0, label='a|b{c}<d>"e\\')
    svg = render(draw_graph(x * 2), tmp_path / "odd.svg").read_text()
    assert "a|b{c}&lt;d&gt;&quot;e\\" in svg


def test_a_huge_graph_is_refused_at_once(monkeypatch):
    x = Value(0.5, label="x")
    y = x
    for _ in range(9_999):
        y = y * 1.0001
    monkeypatch.setattr(graphviz, "Digraph", None)  # it must never get as far as Graphviz
    with pytest.raises(ValueError, match=r"the graph has 10000 values, more than max_nodes=300.*max_nodes=10000"):
        draw_graph(y)


def test_max_nodes_can_be_raised():
    y = Value(1.0, label="x")
    for _ in range(400):
        y = y + 1.0
    with pytest.raises(ValueError):
        draw_graph(y)
    assert draw_graph(y, max_nodes=401).source.count("shape=record") == 401


@needs_dot
def test_svg_and_png_render_with_the_real_dot(tmp_path):
    o = neuron()
    o.backward()
    svg = render(draw_graph(o), tmp_path / "neuron.svg")
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "grad &#45;1.5000" in text
    png = render(draw_graph(o), tmp_path / "neuron.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron.png", "neuron.svg"]  # no temporary files left
    assert oct(os.stat(tmp_path / "neuron.svg").st_mode & 0o777) == "0o644"


@needs_dot
def test_render_replaces_an_existing_file_whole(tmp_path):
    path = tmp_path / "graph.svg"
    path.write_text("old")
    render(draw_graph(neuron()), path)
    assert "<svg" in path.read_text()


def test_without_dot_render_says_what_to_install_and_writes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "graph.svg"
    path.write_text("old")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` to be found
    graph = draw_graph(neuron())
    with pytest.raises(FileNotFoundError, match="install it with: sudo apt-get install graphviz"):
        render(graph, path)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["graph.svg"]
    assert graph.source.startswith("digraph")  # DOT source needs no Graphviz program


def test_render_refuses_unknown_formats_and_missing_folders(tmp_path):
    graph = draw_graph(neuron())
    with pytest.raises(ValueError, match=r"\.svg, \.png or \.pdf"):
        render(graph, tmp_path / "graph.txt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        render(graph, tmp_path / "no" / "graph.svg")


@needs_dot
def test_a_value_displays_as_its_drawing_in_jupyter():
    bundle = neuron()._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and bundle["text/plain"].startswith("Value(data=0.7071")


def test_a_value_that_cannot_be_drawn_displays_as_text(monkeypatch, tmp_path):
    y = Value(1.0)
    for _ in range(400):
        y = y + 1.0
    assert set(y._repr_mimebundle_()) == {"text/plain"} and "max_nodes" in y._repr_mimebundle_()["text/plain"]
    monkeypatch.setenv("PATH", str(tmp_path))
    bundle = neuron()._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and "sudo apt-get install graphviz" in bundle["text/plain"]


def test_importing_autograd_does_not_import_graphviz():
    import subprocess
    import sys

    code = "import sys, autograd; print('graphviz' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_parameters_are_named_by_their_place_in_the_network():
    from autograd.draw import parameter_names, place_name

    assert place_name("layers.0.neurons.3.w1") == "L1.N4.w1"
    assert place_name("layers.2.neurons.0.b") == "L3.N1.b"
    assert place_name("w1") == "w1"
    w = Value(1.0, label="w1")
    assert parameter_names({"layers.1.neurons.0.w1": w}) == {w: "L2.N1.w1"}
    assert parameter_names([w]) == {}  # plain Values keep their labels
    y = w * 2.0
    assert '"{ L2.N1.w1 | data 1.0000' in draw_graph(y, params={"layers.1.neurons.0.w1": w}).source


def test_an_element_of_a_parameter_tensor_is_named_as_in_pytorch():
    """A Sequential's conv kernel reads `0.weight[1,0,1,0]`, not `0.W1.0.1.0`; a neuron inside still `N1`."""
    from autograd import Stepper
    from autograd.draw import place_name
    from nets import Conv2d, Flatten, Linear, Sequential

    assert place_name("0.weight.1.0.1.0") == "0.weight[1,0,1,0]"
    assert place_name("0.bias.1") == "0.bias[1]"
    assert place_name("cell.weight_ih.3.0") == "cell.weight_ih[3,0]"
    assert place_name("3.neurons.0.w7") == "3.N1.w7"
    model = Sequential(Conv2d(1, 2, 2, seed=0), Flatten(), Linear(8, 1, seed=0))
    image = [[[Value(0.5), Value(-1.0), Value(2.0)], [Value(1.0), Value(0.0), Value(-0.5)], [Value(0.25), Value(1.5), Value(-2.0)]]]
    (out,) = model(image)
    stepper = Stepper(out, params=model)
    names = stepper.walk.names
    assert {names[p] for p in model[0].parameters()} == {
        f"0.weight[{o},0,{i},{j}]" for o in range(2) for i in range(2) for j in range(2)} | {"0.bias[0]", "0.bias[1]"}
    sentences = " ".join(step.explain() for step in stepper.steps)
    assert "0.weight[1,0,1,1].grad += " in sentences and "dv18/dv5 = 2.N1.w1 = " in sentences
