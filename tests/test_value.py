"""The engine, one primitive at a time: forward values, derivatives, and the graph it records."""

import math
import threading

import numpy as np
import pytest

from autograd import Value, gradcheck, no_grad
from autograd.value import weighted_sum_parts
import autograd


def grads(f, *xs):
    """Forward value and the gradient of f at xs, from backward()."""
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


# Each primitive: (function, point, expected value, expected gradient), worked out by hand.
PRIMITIVES = {
    "add": (lambda a, b: a + b, (2.0, -3.0), -1.0, [1.0, 1.0]),
    "add const": (lambda a: a + 4, (2.0,), 6.0, [1.0]),
    "radd const": (lambda a: 4 + a, (2.0,), 6.0, [1.0]),
    "sub": (lambda a, b: a - b, (2.0, -3.0), 5.0, [1.0, -1.0]),
    "sub const": (lambda a: a - 4, (2.0,), -2.0, [1.0]),
    "rsub const": (lambda a: 4 - a, (2.0,), 2.0, [-1.0]),
    "mul": (lambda a, b: a * b, (2.0, -3.0), -6.0, [-3.0, 2.0]),
    "mul const": (lambda a: a * 4, (2.0,), 8.0, [4.0]),
    "rmul const": (lambda a: 4 * a, (2.0,), 8.0, [4.0]),
    "div": (lambda a, b: a / b, (3.0, 2.0), 1.5, [0.5, -0.75]),
    "div const": (lambda a: a / 4, (2.0,), 0.5, [0.25]),
    "rdiv const": (lambda a: 4 / a, (2.0,), 2.0, [-1.0]),
    "pow const": (lambda a: a**3, (2.0,), 8.0, [12.0]),
    "pow negative base, integer exponent": (lambda a: a**3, (-2.0,), -8.0, [12.0]),
    "pow fractional": (lambda a: a**0.5, (4.0,), 2.0, [0.25]),
    "pow zero exponent": (lambda a: a**0, (0.0,), 1.0, [0.0]),
    "pow value": (lambda a, b: a**b, (2.0, 3.0), 8.0, [12.0, 8.0 * math.log(2.0)]),
    "rpow": (lambda a: 2**a, (3.0,), 8.0, [8.0 * math.log(2.0)]),
    "neg": (lambda a: -a, (2.0,), -2.0, [-1.0]),
    "abs positive": (abs, (2.0,), 2.0, [1.0]),
    "abs negative": (abs, (-2.0,), 2.0, [-1.0]),
    "abs at the kink": (abs, (0.0,), 0.0, [0.0]),  # 0, as PyTorch: the subgradient that changes nothing
    "exp": (lambda a: a.exp(), (1.0,), math.e, [math.e]),
    "log": (lambda a: a.log(), (2.0,), math.log(2.0), [0.5]),
    "sqrt": (lambda a: a.sqrt(), (4.0,), 2.0, [0.25]),
    "tanh": (lambda a: a.tanh(), (0.5,), math.tanh(0.5), [1 - math.tanh(0.5) ** 2]),
    "sigmoid": (lambda a: a.sigmoid(), (0.0,), 0.5, [0.25]),
    "relu positive": (lambda a: a.relu(), (2.0,), 2.0, [1.0]),
    "relu negative": (lambda a: a.relu(), (-2.0,), 0.0, [0.0]),
    "leaky_relu negative": (lambda a: a.leaky_relu(), (-2.0,), -0.02, [0.01]),
    "leaky_relu slope": (lambda a: a.leaky_relu(0.2), (-2.0,), -0.4, [0.2]),
    "leaky_relu positive": (lambda a: a.leaky_relu(0.2), (2.0,), 2.0, [1.0]),
    "sin": (lambda a: a.sin(), (1.0,), math.sin(1.0), [math.cos(1.0)]),
    "cos": (lambda a: a.cos(), (1.0,), math.cos(1.0), [-math.sin(1.0)]),
    "sum": (lambda a, b: autograd.sum([a, b, 3, a]), (2.0, -1.0), 6.0, [2.0, 1.0]),
    "weighted_sum": (
        lambda w1, w2, x, b: autograd.weighted_sum([w1, w2], [x, 5], b),
        (2.0, -1.0, 3.0, 0.5),
        2.0 * 3.0 - 5.0 + 0.5,
        [3.0, 5.0, 2.0, 1.0],
    ),
    "dot, a first layer": (lambda w1, w2: autograd.weighted_sum([w1, w2], [3, -1]), (2.0, 0.5), 5.5, [3.0, -1.0]),
    "max": (lambda a, b: autograd.max([a, b, 1]), (2.0, 3.0), 3.0, [0.0, 1.0]),
    "min": (lambda a, b: autograd.min([a, b]), (2.0, 3.0), 2.0, [1.0, 0.0]),
    "clamp inside": (lambda a: a.clamp(-1, 1), (0.5,), 0.5, [1.0]),
    "clamp outside": (lambda a: a.clamp(-1, 1), (2.0,), 1.0, [0.0]),
}



@pytest.mark.parametrize("name", PRIMITIVES)
def test_primitive_value_and_gradient(name):
    f, xs, value, expected = PRIMITIVES[name]
    data, got = grads(f, *xs)
    assert data == pytest.approx(value, rel=1e-15, abs=1e-15)
    assert got == pytest.approx(expected, rel=1e-15, abs=1e-15)


@pytest.mark.parametrize("name", [n for n in PRIMITIVES if "zero exponent" not in n and "kink" not in n])
def test_primitive_gradient_matches_finite_differences(name):
    f, xs, _, _ = PRIMITIVES[name]
    result = gradcheck(f, xs)
    assert result, str(result)


def test_classic_neuron_by_hand():
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert [x1.grad, w1.grad, x2.grad, w2.grad, b.grad] == pytest.approx([-1.5, 1.0, 0.5, 0.0, 0.5], abs=1e-12)


def test_fused_and_unfused_neuron_agree():
    def unfused(w1, w2, b):
        return (w1 * 2.0 + w2 * -1.0 + b).tanh()

    def fused(w1, w2, b):
        return autograd.weighted_sum([w1, w2], [2.0, -1.0], b).tanh()

    (out1, grads1), (out2, grads2) = grads(unfused, 0.3, -0.2, 0.1), grads(fused, 0.3, -0.2, 0.1)
    assert out1 == pytest.approx(out2, rel=1e-15) and grads1 == pytest.approx(grads2, rel=1e-15)


# ---- the graph a node records ----


def test_leaf_attributes():
    x = Value(3, label="x")
    assert (x.data, x.grad, x.label, x.op, x.parents) == (3.0, 0.0, "x", "", ())
    assert type(x.data) is float


def test_node_records_op_and_parents_in_order():
    a, b = Value(1.0), Value(2.0)
    c = a - b
    assert c.op == "-" and c.parents == (a, b) and c.local_grads == (1.0, -1.0)
    d = a * 5
    assert d.op == "*c" and d.parents == (a,) and d.const == 5.0


@pytest.mark.parametrize("f, op", [(lambda x: 10 - x, "c-"), (lambda x: 10 / x, "c/"), (lambda x: 10**x, "c**"),
                                   (lambda x: 10 + x, "c+"), (lambda x: 10 * x, "c*"), (lambda x: x + 10, "+c"),
                                   (lambda x: x - 10, "-c"), (lambda x: x / 10, "/c"), (lambda x: x**10, "**c")])
def test_a_plain_number_operand_is_kept_as_const_not_made_a_node(f, op):
    x = Value(2.0)
    y = f(x)
    assert (y.op, y.parents, y.const) == (op, (x,), 10.0)


def test_fused_nodes_record_their_layout():
    w, x, b = [Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)], Value(0.5)
    neuron = autograd.weighted_sum(w, x, b)
    assert (neuron.op, neuron.const, neuron.parents) == ("wsum", None, (*w, *x, b))
    assert neuron.local_grads == (3.0, 4.0, 1.0, 2.0, 1.0)
    assert weighted_sum_parts(neuron) == (w, x, b)
    first_layer = autograd.weighted_sum(w, [3, 4.0])  # plain inputs are the node's const
    assert (first_layer.op, first_layer.const, first_layer.parents, first_layer.local_grads) == ("dot", (3.0, 4.0), tuple(w), (3.0, 4.0))
    assert weighted_sum_parts(first_layer) == (w, [3.0, 4.0], None)
    mixed = autograd.weighted_sum(w, [x[0], 4], b)  # a plain number among Values becomes a leaf
    assert mixed.parents[2] is x[0] and mixed.parents[3].data == 4.0 and mixed.parents[3].op == ""
    total = autograd.sum([w[0], 2, 0.5])
    assert (total.parents, total.const, total.data) == ((w[0],), 2.5, 3.5)
    clamped = w[1].clamp(hi=1)
    assert clamped.const == (-math.inf, 1.0)


@pytest.mark.parametrize("number", [2, 2.5, np.float64(2.5), np.int64(2), np.float32(0.5)])
def test_real_number_types_are_stored_as_python_floats(number):
    assert type(Value(number).data) is float
    assert type((Value(1.0) * number).data) is float


def test_repr_shows_data_grad_and_label():
    assert repr(Value(0.5)) == "Value(data=0.5, grad=0)"
    assert repr(Value(0.5, label="w")) == "Value(data=0.5, grad=0, label='w')"


def test_nodes_are_small():
    assert not hasattr(Value(1.0), "__dict__")


# ---- backward: accumulation, reuse, depth ----


def test_node_used_twice_in_a_product():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0


def test_reused_non_leaf_accumulates():  # micrograd issues #2, #53, #64
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert (a.grad, b.grad, c.grad) == (4.0, 2.0, 1.0)


def test_diamond():
    x = Value(2.0)
    left, right = x * 3, x.exp()
    (left * right).backward()
    assert x.grad == pytest.approx(3 * math.exp(2) + 6 * math.exp(2))


def test_backward_twice_adds_twice_at_every_node():
    x = Value(2.0)
    h = x * x
    y = h * 3
    y.backward()
    first = (x.grad, h.grad, y.grad)
    y.backward()
    assert (x.grad, h.grad, y.grad) == tuple(2 * g for g in first) == (24.0, 6.0, 2.0)


def test_backward_on_a_leaf():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


@pytest.mark.slow
def test_chain_of_a_million_nodes_has_no_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.000001
    y.backward()
    assert x.grad == pytest.approx(1.000001**1_000_000, rel=1e-9)


def test_leaf_reused_along_a_long_chain_of_additions():
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y + x
    y.backward()
    assert x.grad == 100_001.0


# ---- no_grad ----


def test_no_grad_records_no_parents_and_nests():
    x = Value(2.0)
    with no_grad():
        with no_grad():
            y = x * 3
        z = y.tanh()
    assert (y.parents, y.op, y.const, z.parents) == ((), "", None, ())
    assert y.data == 6.0
    assert (x * 3).parents == (x,)


def test_no_grad_restores_recording_after_an_error():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            Value(1.0) / 0
    assert (Value(1.0) * 2).parents


def test_no_grad_is_per_thread():
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def evaluator():
        with no_grad():
            inside.set()
            done.wait(5)
            seen["worker"] = (Value(1.0) * 2).parents

    worker = threading.Thread(target=evaluator)
    worker.start()
    assert inside.wait(5)
    x = Value(1.0)
    seen["main"] = (x * 2).parents  # recorded while the other thread is in no_grad
    done.set()
    worker.join()
    assert seen == {"worker": (), "main": (x,)}


# ---- bad input: errors that name the operation and the value ----


@pytest.mark.parametrize("bad", ["1.0", None, 1 + 2j, [1.0], Value(1.0), True])
def test_value_rejects_what_is_not_a_real_number(bad):
    with pytest.raises(TypeError, match=f"Value: data must be a real number, got {type(bad).__name__}"):
        Value(bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_value_rejects_non_finite_data(bad):
    with pytest.raises(ValueError, match="must be finite"):
        Value(bad)


@pytest.mark.parametrize("op", [lambda x: x * "2", lambda x: "2" + x, lambda x: x ** None, lambda x: x + 1j])
def test_operations_reject_non_numbers(op):
    with pytest.raises(TypeError, match="must be a real number"):
        op(Value(1.0))


@pytest.mark.parametrize(
    "f, error, message",
    [
        (lambda x: Value(0.0).log(), ValueError, r"log: undefined for x = 0.0"),
        (lambda x: Value(-1.0).log(), ValueError, r"log: undefined for x = -1.0"),
        (lambda x: Value(-4.0).sqrt(), ValueError, r"sqrt: undefined for x = -4.0"),
        (lambda x: Value(0.0).sqrt(), ValueError, r"sqrt: the slope is infinite"),
        (lambda x: x / 0, ZeroDivisionError, r"division: 1.0 / 0.0 divides by zero"),
        (lambda x: x / Value(0.0), ZeroDivisionError, r"division: 1.0 / 0.0"),
        (lambda x: 1 / Value(0.0), ZeroDivisionError, r"division"),
        (lambda x: Value(1000.0).exp(), OverflowError, r"exp: overflow at x = 1000.0"),
        (lambda x: Value(1e200) ** 2, OverflowError, r"pow: 1e\+200 \*\* 2.0 overflows"),
        (lambda x: Value(10.0) ** Value(400.0), OverflowError, r"pow: 10.0 \*\* 400.0 overflows"),
        (lambda x: Value(-8.0) ** (1 / 3), ValueError, r"pow: a negative base -8.0 has no real power"),
        (lambda x: Value(-2.0) ** Value(2.0), ValueError, r"pow: base -2.0 must be positive"),
        (lambda x: (-2.0) ** Value(0.5), ValueError, r"pow: base -2.0 must be positive"),
        (lambda x: Value(0.0) ** -1, ZeroDivisionError, r"pow: 0.0 cannot be raised to the negative power -1.0"),
        (lambda x: Value(0.0) ** 0.5, ValueError, r"pow: the slope of x\*\*0.5 is infinite at x = 0.0"),
    ],
)
def test_undefined_operations_say_which_operation_and_value(f, error, message):
    with pytest.raises(error, match=message):
        f(Value(1.0))


@pytest.mark.parametrize(
    "f, message",
    [
        (lambda: Value(1e200) * Value(1e200), r"\*: the result of \* on 1e\+200, 1e\+200 is inf"),
        (lambda: Value(1e200) * 1e200, r"\*: the result of \* on 1e\+200, 1e\+200 is inf"),
        (lambda: Value(1e308) + Value(1e308), r"\+: the result of \+ on 1e\+308, 1e\+308 is inf"),
        (lambda: Value(-1e308) - 1e308, r"-: the result of - on -1e\+308, 1e\+308 is -inf"),
        (lambda: Value(1e300) / 1e-300, r"/: the result of / on 1e\+300, 1e-300 is inf"),
        (lambda: 1 / Value(1e-200), r"/: the slope at 1e-200 overflows"),
        (lambda: Value(1.0) / Value(1e-200), r"/: the slope at 1e-200 overflows"),
        (lambda: Value(2.0) / 1e-320, r"/: the slope at 1e-320 overflows"),
        (lambda: Value(10.0) ** 308.2, r"pow: the slope at 10.0 overflows"),
        (lambda: Value(1e-300) ** -1, r"pow: the slope at 1e-300 overflows"),
        (lambda: Value(10.0) ** Value(308.2), r"pow: the slope at 10.0 overflows"),
        (lambda: 1e308 ** Value(1.0), r"pow: the slope at 1.0 overflows"),
        (lambda: Value(1e-320).log(), r"log: the slope at 1e-320 overflows"),
        (lambda: Value(10**400), r"Value: data \(an integer of about 400 digits\) is too large for a float"),
    ],
)
def test_nothing_infinite_enters_a_graph(f, message):
    with pytest.raises(OverflowError, match=message):
        f()


def test_fused_and_unfused_neurons_both_refuse_overflow():
    w, x = [Value(1e200), Value(1.0)], [1e200, 1.0]
    with pytest.raises(OverflowError):
        autograd.weighted_sum(w, x)
    with pytest.raises(OverflowError):
        w[0] * x[0] + w[1] * x[1]


def test_label_must_be_text():
    with pytest.raises(TypeError, match="Value: label must be a str, got int 5"):
        Value(1.0, label=5)


def test_weighted_sum_names_a_bad_bias_or_weight():
    with pytest.raises(TypeError, match="weighted_sum: bias must be a Value or None, got float"):
        autograd.weighted_sum([Value(1.0)], [1.0], 1.0)
    with pytest.raises(TypeError, match="weighted_sum: weights must be Values, got float"):
        autograd.weighted_sum([1.0], [Value(1.0)])


def test_no_grad_refuses_an_exit_without_an_enter():
    with pytest.raises(RuntimeError, match="no_grad: exited without being entered"):
        no_grad().__exit__(None, None, None)
    assert (Value(1.0) * 2).parents


@pytest.mark.parametrize("x", [-1000.0, -50.0, 0.0, 50.0, 1000.0, 1e300, -1e300])
def test_tanh_and_sigmoid_stay_finite_for_any_input(x):
    for out in (Value(x).tanh(), Value(x).sigmoid()):
        out.backward()
        assert math.isfinite(out.data) and 0.0 <= abs(out.data) <= 1.0


def test_sigmoid_is_exact_in_both_tails():
    assert Value(-40.0).sigmoid().data == pytest.approx(math.exp(-40.0), rel=1e-12)
    assert Value(40.0).sigmoid().data == 1.0


def test_weighted_sum_needs_matching_lengths():
    with pytest.raises(ValueError, match="weighted_sum: 2 weights but 3 inputs"):
        autograd.weighted_sum([Value(1.0), Value(2.0)], [1, 2, 3])


@pytest.mark.parametrize("f", [
    lambda big: autograd.weighted_sum([big, big], [big, -big]),
    lambda big: autograd.weighted_sum([big], [1e300], big),
    lambda big: autograd.sum([big, big]),
])
def test_fused_sums_report_overflow(f):
    with pytest.raises(OverflowError, match=r"(dot|wsum|sum): the total is inf, not a finite number \(a term overflowed"):
        f(Value(1e308))


def test_weighted_sum_rejects_non_numbers():
    with pytest.raises(TypeError, match="weighted_sum: a plain-number operand must be a real number, got str"):
        autograd.weighted_sum([Value(1.0)], ["1"])


# ---- max, min, clamp, detach, comparisons, 0 ** y ----


def test_max_routes_the_gradient_to_the_first_maximum_only():
    a, b, c = Value(1.0), Value(3.0), Value(3.0)
    m = autograd.max([a, b, c])
    m.backward()
    assert m.data == 3.0 and m.op == "max"
    assert (a.grad, b.grad, c.grad) == (0.0, 1.0, 0.0)


def test_min_and_plain_numbers():
    a, b = Value(1.0), Value(-2.0)
    m = autograd.min([a, 0.5, b])
    m.backward()
    assert m.data == -2.0 and (a.grad, b.grad) == (0.0, 1.0)
    top = autograd.max([a, 5.0])  # a plain number wins: no Value gets a gradient
    top.backward()
    assert top.data == 5.0 and a.grad == 0.0


def test_max_needs_a_value():
    with pytest.raises(ValueError, match="max: needs at least one Value"):
        autograd.max([1.0, 2.0])


def test_binary_max_min_and_clamp():
    x, y = Value(2.0), Value(-1.0)
    assert x.max(y).data == 2.0 and x.min(y).data == -1.0 and x.max(3).data == 3.0
    for data, expected, slope in [(-3.0, -1.0, 0.0), (0.5, 0.5, 1.0), (1.0, 1.0, 1.0), (4.0, 1.0, 0.0)]:
        v = Value(data)
        out = v.clamp(-1, 1)
        out.backward()
        assert (out.data, v.grad) == (expected, slope)
    assert Value(5.0).clamp(hi=2).data == 2.0
    with pytest.raises(ValueError, match="clamp: lo 2 is greater than hi 1"):
        Value(0.0).clamp(2, 1)


def test_detach_is_a_new_leaf():
    x = Value(2.0, label="x")
    y = (x * x).detach()
    z = y * 3
    z.backward()
    assert y.data == 4.0 and not y.parents and y.grad == 3.0 and x.grad == 0.0


def test_comparisons_read_data_and_equality_stays_identity():
    a, b = Value(1.0), Value(1.0)
    assert a <= b and a >= b and not a < b and a < 2 and b > 0.5 and 2 > a
    assert a != b and a == a and len({a, b}) == 2
    with pytest.raises(TypeError, match="cannot compare a Value with str"):
        a < "1"


def test_zero_base_with_a_value_exponent():
    for y_data, dx in [(2.0, 0.0), (1.0, 1.0), (3.5, 0.0)]:
        x, y = Value(0.0), Value(y_data)
        out = x**y
        out.backward()
        assert (out.data, x.grad, y.grad) == (0.0, dx, 0.0)
    x = Value(1.5)
    out = 0.0**x
    out.backward()
    assert (out.data, x.grad) == (0.0, 0.0)
    with pytest.raises(ValueError, match="base 0.0 must be positive"):
        Value(0.0) ** Value(-1.0)
    with pytest.raises(ValueError, match="infinite"):
        Value(0.0) ** Value(0.5)


def test_one_walk_for_every_pass_several_roots_and_leaves_optional():
    import importlib

    compiled, draw, value = (importlib.import_module(f"autograd.{name}") for name in ("compile", "draw", "value"))

    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    s = a * b
    t, u = s + a, s.tanh()
    inner = value.topological([t, u])
    assert inner == [s, t, u]  # each after what it was computed from; s once for both roots
    assert value.topological([t, u], leaves=True) == [a, b, s, t, u]
    assert value.backward_order(t) == [t, s]
    assert value.topological([a]) == [] and value.topological([a], leaves=True) == [a]
    assert compiled.topological is value.topological  # the tracer's walk
    assert draw.backward_order is value.backward_order  # the drawings' (and so the Stepper's) walk
