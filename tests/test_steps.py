"""backward_steps, Step and Stepper: the same pass as backward(), cut into explained steps."""

from __future__ import annotations

import html as html_lib
import math
import sys

import graphviz
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Step, Stepper, Value, backward_order, backward_steps, draw_graph, weighted_sum
from autograd.draw import graph_nodes, op_label
from autograd.steps import sentence_parts
from test_properties import STRATEGIES


def neuron() -> tuple[Value, dict[str, Value]]:
    """The micrograd lecture's neuron, with o = 0.7071 so that 1 - o**2 = 0.5."""
    leaves = {name: Value(x, label=name) for name, x in
              [("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0), ("b", 6.8813735870195432)]}
    n = leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, leaves


def test_the_issue_example_sentence():
    o, _ = neuron()
    first = next(backward_steps(o))
    assert first.explain() == "o = tanh(n): do/dn = 1 - o**2 = 0.5000; n.grad += 0.5000 * o.grad (1.0000) = 0.5000"


def test_a_step_records_node_index_total_and_updates():
    o, leaves = neuron()
    steps = list(backward_steps(o))
    assert [step.index for step in steps] == list(range(5))
    assert {step.total for step in steps} == {5}
    assert steps[0].node is o and steps[0].grad == 1.0
    (update,) = steps[0].updates
    assert update.input is o.parents[0] and update.local == pytest.approx(0.5) and update.added == pytest.approx(0.5)
    last = steps[-1]  # v1 = x1 * w1 passes 0.5 on: x1 gets w1 * 0.5, w1 gets x1 * 0.5
    assert [(u.input, u.local, u.added) for u in last.updates] == [
        (leaves["x1"], -3.0, pytest.approx(-1.5)), (leaves["w1"], 2.0, pytest.approx(1.0))]
    grads = {name: leaf.grad for name, leaf in leaves.items()}
    assert grads == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5})


def sentence(make) -> str:
    """The first step's sentence for y = make(x, z), with x = 0.5 and z = 2."""
    x, z = Value(0.5, label="x"), Value(2.0, label="z")
    y = make(x, z)
    y.label = "y"
    return next(backward_steps(y)).explain()


ONE = "; x.grad += {0} * y.grad (1.0000) = {0}"
PER_OPERATION = [
    (lambda x, z: x + z, "y = x + z: dy/dx = 1.0000" + ONE.format("1.0000")
     + "; dy/dz = 1.0000; z.grad += 1.0000 * y.grad (1.0000) = 1.0000"),
    (lambda x, z: x - z, "y = x - z: dy/dx = 1.0000" + ONE.format("1.0000")
     + "; dy/dz = -1.0000; z.grad += -1.0000 * y.grad (1.0000) = -1.0000"),
    (lambda x, z: x * z, "y = x * z: dy/dx = z = 2.0000" + ONE.format("2.0000")
     + "; dy/dz = x = 0.5000; z.grad += 0.5000 * y.grad (1.0000) = 0.5000"),
    (lambda x, z: x / z, "y = x / z: dy/dx = 1/z = 0.5000" + ONE.format("0.5000")
     + "; dy/dz = -x/z**2 = -0.1250; z.grad += -0.1250 * y.grad (1.0000) = -0.1250"),
    (lambda x, z: x**z, "y = x ** z: dy/dx = z*x**(z - 1) = 1.0000" + ONE.format("1.0000")
     + "; dy/dz = y*log(x) = -0.1733; z.grad += -0.1733 * y.grad (1.0000) = -0.1733"),
    (lambda x, z: x + 3, "y = x + 3: dy/dx = 1.0000" + ONE.format("1.0000")),
    (lambda x, z: x - 3, "y = x - 3: dy/dx = 1.0000" + ONE.format("1.0000")),
    (lambda x, z: x * 3, "y = x * 3: dy/dx = 3.0000" + ONE.format("3.0000")),
    (lambda x, z: x / 4, "y = x / 4: dy/dx = 1/4 = 0.2500" + ONE.format("0.2500")),
    (lambda x, z: x**3, "y = x ** 3: dy/dx = 3*x**2 = 0.7500" + ONE.format("0.7500")),
    (lambda x, z: x**2, "y = x ** 2: dy/dx = 2*x = 1.0000" + ONE.format("1.0000")),
    (lambda x, z: 2 - x, "y = 2 - x: dy/dx = -1.0000" + ONE.format("-1.0000")),
    (lambda x, z: 2 / x, "y = 2 / x: dy/dx = -2/x**2 = -8.0000" + ONE.format("-8.0000")),
    (lambda x, z: 2**x, "y = 2 ** x: dy/dx = y*log(2) = 0.9803" + ONE.format("0.9803")),
    (lambda x, z: -x, "y = -x: dy/dx = -1.0000" + ONE.format("-1.0000")),
    (lambda x, z: abs(x), "y = abs(x): dy/dx = sign(x) = 1.0000" + ONE.format("1.0000")),
    (lambda x, z: x.exp(), "y = exp(x): dy/dx = y = 1.6487" + ONE.format("1.6487")),
    (lambda x, z: x.log(), "y = log(x): dy/dx = 1/x = 2.0000" + ONE.format("2.0000")),
    (lambda x, z: x.sqrt(), "y = sqrt(x): dy/dx = 1/(2*y) = 0.7071" + ONE.format("0.7071")),
    (lambda x, z: x.tanh(), "y = tanh(x): dy/dx = 1 - y**2 = 0.7864" + ONE.format("0.7864")),
    (lambda x, z: x.sigmoid(), "y = sigmoid(x): dy/dx = y*(1 - y) = 0.2350" + ONE.format("0.2350")),
    (lambda x, z: x.relu(), "y = relu(x): dy/dx = 1.0000 (1 if x > 0 else 0)" + ONE.format("1.0000")),
    (lambda x, z: (-x).relu(), "y = relu(v1): dy/dv1 = 0.0000 (1 if v1 > 0 else 0); "
     "v1.grad += 0.0000 * y.grad (1.0000) = 0.0000"),
    (lambda x, z: x.leaky_relu(0.1), "y = leaky_relu(x, 0.1): dy/dx = 1.0000 (1 if x > 0 else 0.1)"
     + ONE.format("1.0000")),
    (lambda x, z: x.sin(), "y = sin(x): dy/dx = cos(x) = 0.8776" + ONE.format("0.8776")),
    (lambda x, z: x.cos(), "y = cos(x): dy/dx = -sin(x) = -0.4794" + ONE.format("-0.4794")),
    (lambda x, z: autograd.value.sum([x, z, 1.0]), "y = x + z + 1: dy/dx = 1.0000" + ONE.format("1.0000")
     + "; dy/dz = 1.0000; z.grad += 1.0000 * y.grad (1.0000) = 1.0000"),
    (lambda x, z: weighted_sum([x], [z], Value(1.0, label="b")), "y = x*z + b: dy/dx = z = 2.0000"
     + ONE.format("2.0000") + "; dy/dz = x = 0.5000; z.grad += 0.5000 * y.grad (1.0000) = 0.5000"
     "; dy/db = 1.0000; b.grad += 1.0000 * y.grad (1.0000) = 1.0000"),
    (lambda x, z: weighted_sum([x], [z]), "y = x*z: dy/dx = z = 2.0000" + ONE.format("2.0000")
     + "; dy/dz = x = 0.5000; z.grad += 0.5000 * y.grad (1.0000) = 0.5000"),
    (lambda x, z: autograd.max([x, z, 1.0]), "y = max(x, z, 1): dy/dx = 0.0000" + ONE.format("0.0000")
     + "; dy/dz = 1 (z is the max) = 1.0000; z.grad += 1.0000 * y.grad (1.0000) = 1.0000"),
    (lambda x, z: autograd.min([x, z]), "y = min(x, z): dy/dx = 1 (x is the min) = 1.0000" + ONE.format("1.0000")
     + "; dy/dz = 0.0000; z.grad += 0.0000 * y.grad (1.0000) = 0.0000"),
    (lambda x, z: x.clamp(0, 1), "y = clamp(x, 0, 1): dy/dx = 1.0000 (1 if 0 <= x <= 1 else 0)"
     + ONE.format("1.0000")),
    (lambda x, z: x.clamp(hi=0.25), "y = clamp(x, -inf, 0.25): dy/dx = 0.0000 (1 if -inf <= x <= 0.25 else 0)"
     + ONE.format("0.0000")),
]


@pytest.mark.parametrize("make, expected", PER_OPERATION, ids=[e.split(":")[0] for _, e in PER_OPERATION])
def test_explain_sentence_for_each_operation(make, expected):
    assert sentence(make) == expected


@pytest.mark.parametrize("make", [make for make, _ in PER_OPERATION], ids=[e.split(":")[0] for _, e in PER_OPERATION])
def test_every_operation_draws_its_label(make):
    y = make(Value(0.5, label="x"), Value(2.0, label="z"))
    label = op_label(y)
    drawn = [line for line in draw_graph(y).source.splitlines() if "_op [label=" in line and "->" not in line][-1]
    assert label and label in drawn


def test_an_operation_missing_from_the_table_is_a_clear_error():
    x = Value(1.0, label="x")
    y = x * 2
    y.op = "softplus"  # as a node made by hand with `_node`, without an entry in the table
    message = r"operation 'softplus' is not in the table of operations \(autograd.OPS\).*autograd.operation"
    step = next(backward_steps(y))
    with pytest.raises(LookupError, match=message):
        step.explain()
    with pytest.raises(LookupError, match=message):
        draw_graph(y)


def test_a_reused_node_shows_its_running_total():
    a = Value(1.0, label="a")
    b = a + a
    b.label = "b"
    (step,) = backward_steps(b)
    assert step.explain() == ("b = a + a: db/da = 1.0000; a.grad += 1.0000 * b.grad (1.0000) = 1.0000; "
                              "db/da = 1.0000; a.grad += 1.0000 * b.grad (1.0000) = 1.0000, now 2.0000")


def test_two_leaves_with_one_label_are_told_apart():
    a, other = Value(1.0, label="a"), Value(2.0, label="a")
    b = a + other
    b.label = "b"
    (step,) = backward_steps(b)
    assert step.explain() == ("b = a + a_2: db/da = 1.0000; a.grad += 1.0000 * b.grad (1.0000) = 1.0000; "
                              "db/da_2 = 1.0000; a_2.grad += 1.0000 * b.grad (1.0000) = 1.0000")


def test_unlabelled_nodes_get_short_stable_names():
    def build() -> Value:
        x = Value(3.0, label="x")
        return ((x * 2).exp() + x).tanh()

    first = [step.explain() for step in backward_steps(build())]
    again = [step.explain() for step in backward_steps(build())]
    assert first == again
    assert first[0].startswith("v4 = tanh(v3): ")
    assert first[-1].startswith("v1 = x * 2: ")


def test_generated_names_skip_labels_already_taken():
    x = Value(1.0, label="v1")
    y = x * 3
    assert next(backward_steps(y)).explain().startswith("v2 = v1 * 3")


def test_weighted_sum_of_plain_numbers_shows_them_in_the_formula():
    w = [Value(0.1 * i, label=f"w{i}") for i in range(1, 4)]
    y = weighted_sum(w, [1.0, 0.25, 2.0], Value(0.5, label="b"))
    y.label = "y"
    text = next(backward_steps(y)).explain()
    assert text.startswith("y = w1*1 + w2*0.25 + w3*2 + b: dy/dw1 = 1.0000; ")
    assert "dy/dw2 = 0.25 = 0.2500" not in text and "dy/dw2 = 0.2500" in text and "dy/db = 1.0000" in text


def test_weighted_sum_pairs_each_value_input_with_its_weight():
    w = [Value(0.1 * i, label=f"w{i}") for i in range(1, 4)]
    x = [Value(0.25 * i, label=f"x{i}") for i in range(1, 4)]
    y = weighted_sum(w, x[::-1], Value(0.5, label="b"))
    y.label = "y"
    text = next(backward_steps(y)).explain()
    assert text.startswith("y = w1*x3 + w2*x2 + w3*x1 + b: dy/dw1 = x3 = 0.7500; ")


def test_weighted_sum_of_30_inputs_stays_readable():
    w = [Value(0.01 * i, label=f"w{i}") for i in range(1, 31)]
    x = [Value(0.02 * i, label=f"x{i}") for i in range(1, 31)]
    n = weighted_sum(w, x, Value(0.5, label="b"))
    n.label = "n"
    step = next(backward_steps(n))
    text = step.explain()  # every input's clause (the gradient passed down a layer), the weights' folded
    assert text.startswith("n = w1*x1 + w2*x2 + ... + w30*x30 (30 terms) + b: dn/dx1 = w1 = 0.01000; ")
    assert text.endswith("; db/db = 1.0000; b.grad += 1.0000 * n.grad (1.0000) = 1.0000; "
                         "and 30 weight updates like these (dn/dw_i = x_i)".replace("db/db", "dn/db"))
    assert text.count(".grad +=") == 31 and all(f"x{i}.grad +=" in text for i in range(1, 31))
    head, shown, weights, rule = sentence_parts(step, step.walk.names)
    assert len(shown) == 31 and len(weights) == 30 and weights[0].startswith("dn/dw1 = x1 = 0.02000; w1.grad +=")


def test_a_max_of_many_summarises_its_own_rule():
    xs = [Value(float(i % 4), label=f"x{i}") for i in range(10)]
    m = autograd.max(xs)
    m.label = "m"
    text = next(backward_steps(m)).explain()  # every input is shown: none is a weight
    assert text.startswith("m = max(x0, x1, ..., x9 (10 terms)): dm/dx0 = 0.0000; ")
    assert text.count(".grad +=") == 10 and "like these" not in text


def test_a_leaf_output_has_no_steps_and_gets_its_seed():
    x = Value(2.0)
    x.grad = 0.5
    assert list(backward_steps(x)) == []
    assert x.grad == 1.5  # as x.backward() does


def test_a_walk_does_nothing_until_started():
    o, leaves = neuron()
    backward_steps(o)
    assert o.grad == 0 and all(leaf.grad == 0 for leaf in leaves.values())


def grads(root: Value) -> list[float]:
    return [node.grad for node in graph_nodes(root)]


@pytest.mark.parametrize("stop_after", [0, 1, 2, 3])
def test_an_abandoned_walk_puts_every_grad_back(stop_after):
    o, _ = neuron()
    o.backward()  # earlier grads, which must survive
    before = grads(o)
    walk = backward_steps(o)
    for step in walk:
        if step.index == stop_after:
            break
    assert grads(o) != before  # mid-walk: the pass is under way
    walk.close()
    assert grads(o) == before
    o.backward()  # and nothing is counted twice afterwards
    reference, _ = neuron()
    reference.backward()
    reference.backward()
    assert grads(o) == grads(reference)


def test_stopping_at_the_last_step_leaves_the_pass_complete():
    o, _ = neuron()
    walk = backward_steps(o)
    for _ in range(5):
        next(walk)
    del walk  # never asked for the end: still complete
    reference, _ = neuron()
    reference.backward()
    assert grads(o) == grads(reference)


def test_draw_shows_the_graph_as_it_stood_at_the_step():
    o, _ = neuron()
    steps = list(backward_steps(o))
    source = steps[2].draw().source  # v3 = v1 + v2 has just passed 0.5 to v1 and v2
    assert '"{ v1 | data -6.0000 | grad 0.5000 }" fillcolor="#ffe0b2"' in source  # an input, light orange
    assert '"{ v3 | data -6.0000 | grad 0.5000 }" fillcolor="#ffcc80"' in source  # the node, orange
    assert "{ x1 | data 2.0000 | grad ? }" in source  # not reached yet
    assert "{ o | data 0.7071 | grad 1.0000 }" in source
    # the grads were final by then anyway; later steps do not change what this one draws
    assert steps[2].draw().source == source


def test_drawing_a_step_of_a_huge_graph_is_refused_at_once(monkeypatch):
    y = Value(0.5, label="x")
    for _ in range(9_999):
        y = y * 1.0001
    walk = backward_steps(y)
    step = next(walk)
    monkeypatch.setattr(graphviz, "Digraph", None)  # it must never get as far as Graphviz
    with pytest.raises(ValueError, match=r"the graph has 10000 values, more than max_nodes=300"):
        step.draw()
    walk.close()


def test_draw_marks_a_grad_still_being_summed():
    a = Value(3.0, label="a")
    b = a * 2
    b.label = "b"
    c = b * a
    c.label = "c"
    first, second = backward_steps(c)
    assert "{ a | data 3.0000 | grad 6.0000 so far }" in first.draw().source
    assert "{ a | data 3.0000 | grad 12.0000 }" in second.draw().source


def test_step_repr_html_has_the_sentence_and_the_drawing():
    o, _ = neuron()
    html = next(backward_steps(o))._repr_html_()
    assert "Backward 1 of 5" in html and "do/dn = 1 - o**2 = 0.5000" in html and "<svg" in html


def test_stepper_runs_the_pass_and_lists_the_steps():
    o, leaves = neuron()
    stepper = Stepper(o)
    assert len(stepper) == 5 and all(isinstance(step, Step) for step in stepper.steps)
    assert leaves["x1"].grad == pytest.approx(-1.5)
    assert repr(stepper).splitlines()[0] == "1. " + stepper.steps[0].explain()


def test_stepper_without_ipywidgets_shows_the_steps_one_after_another(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objects: shown.extend(objects))
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    o, _ = neuron()
    Stepper(o)._ipython_display_()
    (page,) = shown  # 5 forward steps, 5 backward, each with its close-up (wide and narrow), then the table
    assert page.data.count("<svg") == 2 * 10 and "Step 11 of 11 · Final gradients" in page.data
    assert "stepgrad-legend" in page.data and "stepgrad-table" in page.data


def test_stepper_widget_buttons_move_between_steps():
    pytest.importorskip("ipywidgets")
    o, _ = neuron()
    stepper = Stepper(o)
    box = stepper.widget()
    controls, body, legend, overview = box.children
    previous, next_, play, slider, counter = controls.children
    assert "stepgrad-legend" in legend.value
    assert previous.disabled and not next_.disabled and "Step 1 of 11 · Forward 1 of 5" in counter.value
    assert "v1 = x1 * w1 = -6.0000" in body.value and "<svg" in body.value
    for _ in range(5):
        next_.click()
    assert stepper.index == 5 and "Step 6 of 11 · Backward 1 of 5" in counter.value and slider.value == 5
    assert "do/dn = 1 - o**2 = 0.5000; n.grad += 0.5000 * o.grad (1.0000) = 0.5000</div>" in body.value
    assert 'class="stepgrad-overview ' in overview.value and "<svg" in overview.value
    previous.click()
    assert "Step 5 of 11" in counter.value
    slider.value = 10  # the slider (and Play, linked to it) jumps too
    assert "Final gradients" in counter.value and next_.disabled and not previous.disabled
    assert "stepgrad-table" in body.value and "<td" in body.value
    assert (play.min, play.max) == (0, 10)


def test_the_widget_quiz_hints_once_then_reveals_and_scores():
    pytest.importorskip("ipywidgets")
    o, _ = neuron()
    stepper = Stepper(o, quiz=True)
    controls, quiz, body, legend, overview = stepper.widget().children
    intro, form, feedback, score = quiz.children
    local, grad, check, reveal = form.children
    controls.children[3].value = 5  # the first backward step: o = tanh(n), asked about n
    assert "do/dn =" in local.description and form.layout.display == "flex"
    assert "1 - o**2 = 0.5000" not in body.value  # not revealed yet
    local.value, grad.value = "0.5", "0.6"
    check.click()  # wrong grad: a hint naming the rule, and a second try
    assert "do/dn = 1 - o**2" in feedback.value and "Try again" in feedback.value and "Score: 0 of 0" in score.value
    grad.value = "0.5004"  # within the stated tolerance
    check.click()
    assert "Right" in feedback.value and "Score: 1 of 1" in score.value and "1 - o**2 = 0.5000" in body.value
    controls.children[1].click()  # next: n = v3 + b, asked again
    local.value, grad.value = "2", "2"
    check.click()
    check.click()  # wrong twice: the answer is shown
    assert "Still not right" in feedback.value and "Score: 1 of 2" in score.value and form.layout.display == "none"
    local.value = "oops"


def test_a_stepper_displays_as_its_widget_with_the_first_step_for_static_viewers(monkeypatch):
    pytest.importorskip("ipywidgets")
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objects, **options: shown.append((objects, options)))
    o, _ = neuron()
    Stepper(o)._ipython_display_()
    ((bundle,), options), = shown
    assert options == {"raw": True} and "application/vnd.jupyter.widget-view+json" in bundle
    assert "Step 1 of 11" in bundle["text/html"] and "<svg" in bundle["text/html"]


def test_the_close_up_keeps_its_natural_size_in_a_box_that_scrolls_to_the_node():
    o, _ = neuron()
    html = next(backward_steps(o))._repr_html_()
    svg = html[html.index("<svg"):]
    assert svg.startswith('<svg style="display:block" width="') and "max-width" not in svg[: svg.index(">")]
    assert 'class="stepgrad-focus stepgrad-wide"' in html and "overflow:auto" in html
    anchor = html[html.index('class="stepgrad-anchor"'):]
    assert "scroll-initial-target:nearest" in anchor and "left:" in anchor
    assert "white-space:normal" in html and "overflow-wrap:anywhere" in html


def test_the_close_up_of_a_big_graph_is_its_neighbourhood():
    from nets import MLP
    from nets.losses import mse

    model = MLP(2, [16, 16, 1], seed=0)
    loss = mse(model([0.5, -1.2]), 1.0)
    stepper = Stepper(loss, params=model)
    assert len(stepper.walk.nodes) > 300  # micrograd's network: more than draw_graph draws by default
    step = next(s for s in stepper.shown if s.node.op == "wsum" and len(s.node.parents) == 33)
    source = step.focus().source  # 16 activations below, the bias, the 16 weights in one box, the user above
    assert source.count("shape=record") == 1 + 16 + 1 + 1 + 1
    assert "16 weights" in source and "L2.N1.w1" not in source.split("16 weights")[0][-200:]
    assert [s.node for s in stepper.shown] == [s.node for s in stepper.steps if not s.is_identity()]
    assert len(stepper.steps) - len(stepper.shown) == 2  # mse of one output: `* 1` and a sum of one term


def test_a_narrow_close_up_puts_each_box_under_the_one_before():
    """For a phone: the 16 activations, the bias, the folded weights, the sum and its user in
    one column, each slope just under its input, so nothing lies off to the side."""
    import re

    from autograd.draw import pipe
    from autograd.stepview import frame_html
    from nets import MLP
    from nets.losses import mse

    model = MLP(2, [16, 16, 1], seed=0)
    stepper = Stepper(mse(model([0.5, -1.2]), 1.0), params=model)
    step = next(s for s in stepper.shown if s.node.op == "wsum" and len(s.node.parents) == 33)
    svg = pipe(step.focus(narrow=True), "svg").decode()
    groups = re.findall(r'<g id="[^"]+" class="node">(.*?)</g>', svg, flags=re.S)
    assert len(groups) == 2 * 17 + 1 + 2 * 2  # 17 inputs and their slopes, the weights, the sum's and its user's
    spans = []  # each box's top and bottom: its outline's, or its text's (a slope has no outline)
    for group in groups:
        ys = [float(y) for y in re.findall(r' y="([-0-9.]+)"', group)]
        ys += [float(y) for points in re.findall(r' points="([^"]*)"', group) for y in re.findall(r",([-0-9.]+)", points)]
        spans.append((min(ys), max(ys)))
    for above, below in zip(sorted(spans), sorted(spans)[1:]):
        assert below[0] > above[1], (above, below)  # no two side by side
    names = stepper.walk.names
    from autograd.steps import folded

    shown = [update for i, update in enumerate(step.updates) if i not in folded(step.node)]
    assert len(shown) == 17
    for update in shown:  # each input's slope under it, in the edge's orange
        label = f"d{names[step.node]}/d{names[update.input]} = "
        assert re.search(rf'<text [^>]*fill="#e65100"[^>]*>{re.escape(label)}', svg.replace("&#45;", "-")), label
    html = frame_html(stepper, step)
    assert html.count("<svg") == 2 and "stepgrad-wide" in html and "stepgrad-narrow" in html
    narrow = html[html.index('class="stepgrad-focus stepgrad-narrow"'):]
    assert narrow[: narrow.index(">")].endswith('display:none"')  # where style blocks are dropped, the wide one alone


def test_rerunning_a_stepper_shows_the_same_steps_and_accumulates_like_backward():
    o, leaves = neuron()
    first = Stepper(o)
    assert first.note() == ""
    again = Stepper(o)  # a student re-runs the cell
    assert [s.explain() for s in again.steps] == [s.explain() for s in first.steps]
    assert [s.draw().source for s in again.steps] == [s.draw().source for s in first.steps]
    assert "already had gradients" in again.note() and "sum of both passes" in again.note()
    reference, reference_leaves = neuron()
    reference.backward()
    reference.backward()
    assert grads(o) == grads(reference)  # as two backward() calls leave them
    assert o.grad == 2.0 and leaves["x1"].grad == pytest.approx(-3.0)


def test_a_walk_on_a_graph_with_grads_reads_as_on_a_fresh_graph():
    o, _ = neuron()
    o.backward()
    fresh, _ = neuron()
    assert [s.explain() for s in backward_steps(o)] == [s.explain() for s in backward_steps(fresh)]


def test_each_edge_into_the_current_node_shows_its_local_derivative():
    o, _ = neuron()
    steps = list(backward_steps(o))
    last = steps[-1].draw().source  # v1 = x1 * w1: dv1/dx1 = w1 = -3, dv1/dw1 = x1 = 2
    assert 'label="dv1/dx1 = -3.0000"' in last and 'label="dv1/dw1 = 2.0000"' in last
    assert last.count("label=\"d") == 2  # only the current node's edges
    y = Value(1.0, label="a") - Value(3.0, label="c")
    (step,) = backward_steps(y)
    assert 'label="a: dv1/da = 1.0000"' in step.draw().source  # order still marked


def test_a_fused_weighted_sum_draws_its_plain_number_inputs():
    w = [Value(0.5, label="w1"), Value(-1.0, label="w2")]
    n = weighted_sum(w, [2.0, 3.5], Value(0.1, label="b"))
    source = autograd.draw_graph(n).source
    assert '[label=2 color="#9e9e9e"' in source and '[label=3.5 color="#9e9e9e"' in source
    assert source.count("style=\"dashed,rounded\"") == 2 and source.count("style=dashed]") == 2  # boxes, edges


def test_a_network_s_parameters_are_named_by_their_place():
    from nets import MLP

    model = MLP(2, [2, 1], seed=0)
    out = model([1.0, -1.0])
    stepper = Stepper(out, params=model)
    names = set(stepper.steps[0].walk.names.values())
    assert {"L1.N1.w1", "L1.N2.w2", "L2.N1.w1", "L2.N1.b"} <= names and "w1_2" not in names
    assert "L2.N1.w1" in stepper.steps[0].explain() or "L2.N1.w1" in stepper.steps[1].explain()
    assert "L1.N2.b" in autograd.draw_graph(out, params=model).source
    assert '"{ L1.N1.w1 | data' in stepper.steps[0].draw().source


def test_save_html_writes_one_page_that_needs_nothing_else(tmp_path):
    o, _ = neuron()
    stepper = Stepper(o)
    path = stepper.save_html(tmp_path / "steps.html")
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 2 * (5 + 5) + 1  # close-ups (wide and narrow), the whole graph
    assert 'id="previous"' in page and "ArrowRight" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page  # nothing fetched
    for step in stepper.steps:
        assert html_lib.escape(step.explain().split(": ", 1)[0]) in page
    with pytest.raises(FileNotFoundError):
        stepper.save_html(tmp_path / "missing" / "steps.html")


# ---- property tests over random graphs ----

@st.composite
def graphs(draw) -> Value:
    """A random graph of the table's ops that reuses nodes (so grads accumulate), with fused
    sums and weighted sums of any length."""
    values = [Value(draw(st.floats(-2, 2)), label=f"x{i}" if draw(st.booleans()) else "")
              for i in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(0, 12))):
        pick = st.sampled_from(values)
        kind = draw(st.sampled_from(["op", "sum", "wsum"]))
        if kind == "op":  # any op of the table
            node = STRATEGIES[draw(st.sampled_from(sorted(STRATEGIES)))](draw(pick), draw(pick))
        elif kind == "sum":
            node = autograd.value.sum(draw(st.lists(pick, min_size=1, max_size=4)) + [1.0])
        else:
            k = draw(st.integers(1, 3))
            inputs = [draw(st.one_of(pick, st.floats(-2, 2))) for _ in range(k)]
            node = weighted_sum([draw(pick) for _ in range(k)], inputs, draw(st.one_of(st.none(), pick)))
        if math.isfinite(node.data) and abs(node.data) < 1e6:
            values.append(node)
    return values[-1]


@settings(max_examples=150, deadline=None)
@given(graphs(), st.booleans())
def test_steps_follow_backward_exactly(root, earlier):
    if earlier:  # grads left by an earlier pass must accumulate the same way
        root.backward()
    nodes = graph_nodes(root)
    start = {node: node.grad for node in nodes}
    root.backward()
    expected = {node: node.grad for node in nodes}
    for node in nodes:
        node.grad = start[node]

    seen = []
    for step in backward_steps(root):
        seen.append(step.node)
        assert step.explain()  # every step can say what it did
        if step.index == step.total - 1:  # yielded after the pass: earlier grads are back
            assert step.node.grad == expected[step.node]
        else:  # mid-pass a node holds this pass's grad, final already: backward() adds the earlier one to it
            assert step.grad == step.node.grad
            assert step.node.grad + start[step.node] == expected[step.node]
    assert seen == backward_order(root)
    assert {node: node.grad for node in nodes} == expected  # bit for bit


def test_backward_and_the_stepper_apply_the_same_chain_rule_step(monkeypatch):
    """One function passes a node's gradient on (`pass_gradient`): backward() repeats it, the
    Stepper records around it.  Counting its calls shows both go through it, once per node."""
    x, w = Value(0.5, label="x"), Value(1.5, label="w")
    out = ((x * w).tanh() + x * x).relu() * 2.0  # no zero grads: backward() skips no node
    calls = []
    original = autograd.value.pass_gradient

    def counted(node):
        calls.append(node)
        original(node)

    monkeypatch.setattr(autograd.value, "pass_gradient", counted)
    monkeypatch.setattr(autograd.steps, "pass_gradient", counted)
    out.backward()
    assert calls == backward_order(out)
    grads = (x.grad, w.grad)
    calls.clear()
    x.grad = w.grad = 0.0
    for node in out.parents:  # a fresh pass, as the stepper runs it
        node.grad = 0.0
    steps = list(backward_steps(out))
    assert calls == [step.node for step in steps] == backward_order(out)
    assert (x.grad, w.grad) == grads
    monkeypatch.undo()
    assert autograd.steps.pass_gradient is autograd.value.pass_gradient  # shared, not a copy
