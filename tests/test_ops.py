"""The table of operations: its entries are checked when made, and a learner's own operation
back-propagates, draws, steps, explains and gradchecks like the engine's."""

import math

import pytest

import autograd
from autograd import OPS, Op, Value, backward_steps, draw_graph, gradcheck, operation
from autograd.draw import op_label
from nets.cli.explain import explain


@pytest.fixture
def table():
    """The table and Value's methods as they were, after a test adds operations to them."""
    saved, methods = dict(OPS), set(vars(Value))
    yield OPS
    OPS.clear()
    OPS.update(saved)
    for name in set(vars(Value)) - methods:
        delattr(Value, name)


def add_softplus(**options):
    @operation("softplus", slopes=["sigmoid({x})"], **options)
    def softplus(x):
        """log(1 + e**x), written so that exp never overflows."""
        return max(x, 0.0) + math.log1p(math.exp(-abs(x))), 1 / (1 + math.exp(-x))

    return softplus


def test_a_learners_operation_works_everywhere(table):
    softplus = add_softplus(explain=True)
    x = Value(0.5, label="x")
    y = softplus(x)
    y.label = "y"
    assert y.op == "softplus" and y.data == pytest.approx(math.log(1 + math.exp(0.5)), rel=1e-15)
    y.backward()
    assert x.grad == pytest.approx(1 / (1 + math.exp(-0.5)), rel=1e-15)
    # a walk after backward() tells this pass alone, as on a fresh graph (its grads still accumulate)
    assert next(backward_steps(y)).explain() == ("y = softplus(x): dy/dx = sigmoid(x) = 0.6225; "
                                                 "x.grad += 0.6225 * y.grad (1.0000) = 0.6225")
    assert op_label(y) == "softplus" and "softplus" in draw_graph(y).source
    for point in (-1.3, 0.2, 2.0):
        assert gradcheck(lambda v: (v * v).softplus() * softplus(-v), [point])
    text = explain("softplus(x * w) + 1", ["x=2", "w=-0.25"])
    assert "v2 = softplus(v1) = 0.4741" in text and "dv2/dv1 = sigmoid(v1) = 0.3775" in text


def test_a_learners_operation_is_offered_to_explain_only_when_asked(table):
    add_softplus()
    with pytest.raises(ValueError, match=r"cannot call 'softplus': the functions are abs, cos, exp"):
        explain("softplus(x)", ["x=1"])
    add_softplus(explain=True)
    with pytest.raises(ValueError, match=r"'softplus\(x, 2\)': call it as softplus\(x\)"):
        explain("softplus(x, 2)", ["x=1"])


def test_an_operation_of_two_inputs(table):
    @operation("hypot", slopes=["{a}/{out}", "{b}/{out}"], inputs=("a", "b"), label="√(a² + b²)", explain=True)
    def hypot(a, b):
        h = math.hypot(a, b)
        return h, (a / h, b / h)

    a, b = Value(3.0, label="a"), Value(4.0, label="b")
    c = a.hypot(b)
    c.label = "c"
    assert next(backward_steps(c)).explain() == (
        "c = hypot(a, b): dc/da = a/c = 0.6000; a.grad += 0.6000 * c.grad (1.0000) = 0.6000; "
        "dc/db = b/c = 0.8000; b.grad += 0.8000 * c.grad (1.0000) = 0.8000")
    source = draw_graph(c).source
    assert "√(a² + b²)" in source and "[label=a]" in source and "[label=b]" in source  # the order matters
    assert gradcheck(hypot, [0.3, -1.2]) and hypot(Value(1.0), 2).parents[1].data == 2.0
    assert "v1 = hypot(x, y) = 5.0000" in explain("hypot(x, y)", ["x=3", "y=4"])
    with pytest.raises(ValueError, match=r"'hypot\(x\)': call it as hypot\(a, b\)"):
        explain("hypot(x)", ["x=3"])


def test_a_learners_operation_records_nothing_under_no_grad(table):
    softplus = add_softplus()
    with autograd.no_grad():
        y = softplus(Value(1.0))
    assert (y.op, y.parents) == ("", ())


def test_registering_again_replaces_the_entry(table):  # re-running a notebook cell
    add_softplus()
    add_softplus(label="sp")
    assert OPS["softplus"].label == "sp" and op_label(Value(1.0).softplus()) == "sp"


@pytest.mark.parametrize("code, options, message", [
    ("tanh", {}, r"operation: 'tanh' is one of the engine's operations"),
    ("data", {}, r"cannot make 'data' a method of Value"),
    ("soft plus", {}, r"cannot make 'soft plus' a method"),
    ("", {"method": False}, r"the op code must be a non-empty str"),
    ("f", {"slopes": []}, r"operation 'f': needs one slope per input \(x\), got \(\)"),
    ("f", {"slopes": "1"}, r"operation 'f': needs one slope per input"),
    ("f", {"slopes": ["{y}"]}, r"operation 'f': its slope '\{y\}' uses \{y\}; it may use \{out\}, \{x\}"),
    ("f", {"slopes": ["1"], "formula": "f({x"}, r"operation 'f': its formula 'f\(\{x' is not a valid template"),
    ("f", {"slopes": ["1"], "label": "f {x}"}, r"operation 'f': its label 'f \{x\}' uses \{x\}; it may use no names"),
])
def test_an_entry_missing_its_text_is_refused_naming_the_op(table, code, options, message):
    with pytest.raises(ValueError, match=message):
        operation(code, **{"slopes": ["1"], **options})(lambda x: (x, 1.0))
    assert code not in OPS or code == "tanh"


def test_n_ary_texts_must_be_functions():
    with pytest.raises(ValueError, match=r"operation 'f': with any number of inputs, its formula must be a function"):
        Op("f", slopes=lambda node, names: [], inputs=None)


@pytest.mark.parametrize("rule, error, message", [
    (lambda x: x, TypeError, r"f: the rule must return \(result, slopes\), got 2.0"),
    (lambda x: (x, (1.0, 2.0)), TypeError, r"f: the rule returned 2 slope\(s\) for 1 input\(s\)"),
    (lambda x: (math.inf, 1.0), ValueError, r"f: the result at x = 2.0 must be finite, got inf"),
    (lambda x: (x, math.nan), ValueError, r"f: the slope at x = 2.0 must be finite, got nan"),
    (lambda x: (x, "1"), TypeError, r"f: the slope at x = 2.0 must be a real number, got str"),
])
def test_a_rule_that_breaks_its_contract_is_named(table, rule, error, message):
    f = operation("f", slopes=["1"], method=False)(rule)
    with pytest.raises(error, match=message):
        f(Value(2.0))
    with pytest.raises(TypeError, match=r"f: takes 1 input\(s\) \(x\), got 2"):
        f(Value(2.0), Value(1.0))


def test_the_engine_ops_are_in_the_table_with_their_forward():
    assert OPS["tanh"].forward is Value.tanh and OPS["*c"].forward is Value.__mul__
    assert OPS["wsum"].forward is autograd.weighted_sum and OPS["max"].forward is autograd.max
    assert sorted(code for code, entry in OPS.items() if entry.explain) == [
        "abs", "cos", "exp", "leaky_relu", "log", "relu", "sigmoid", "sin", "sqrt", "tanh"]
