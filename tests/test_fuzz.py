"""Fuzzing, kept in the suite so the next regression is caught here (issue 10).

Hypothesis generates hostile and clumsy input for `stepgrad explain`, the engine and
`nets.load`, and each test checks the promises: one-line errors with exit status 2, no
traceback, no inf or NaN in any data or grad, a malformed file is a ValueError naming it.
Bounded by example count, never by time.
"""

import contextlib
import io
import json
import math
import pickle

from hypothesis import HealthCheck, example, given, settings, target
from hypothesis import strategies as st

import autograd
import nets
from autograd import Value
from nets.cli import main

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- stepgrad explain ----

NAMES = ["x", "y", "w1"]
FUNCTIONS = ["tanh", "exp", "log", "relu", "sigmoid", "sqrt", "sin", "cos", "abs", "leaky_relu",
             "print", "__import__", "eval", "open"]
NUMBERS = st.one_of(
    st.integers(-10, 10).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e400", "1e-320", "0", "0.0", "9" * 400, "9" * 4400, "0x1f", "1_000", "1j", "True", "None",
                     "'s'", "b'x'", "..."]),
)
ATOMS = st.one_of(st.sampled_from(NAMES), NUMBERS, st.sampled_from(["z", "_", "x" * 20_000]))


def _compound(inner):
    binary = st.sampled_from(["+", "-", "*", "/", "**", "%", "//", "@", "<", "==", " and ", " or ", "|", "<<"])
    return st.one_of(
        st.tuples(inner, binary, inner).map("".join),
        st.tuples(st.sampled_from(["-", "+", "~", "not "]), inner).map("".join),
        st.tuples(st.sampled_from(FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"leaky_relu({t[0]}, {t[1]})"),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"({e}).real"),
        inner.map(lambda e: f"[{e}]"),
        inner.map(lambda e: f"lambda: {e}"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]} if {t[1]} else 1"),
        st.tuples(inner, st.sampled_from(["(", ")", ",", "=", ";", "\n", "\0", "'"])).map("".join),
    )


EXPRESSIONS = st.recursive(ATOMS, _compound, max_leaves=12)
WRAPPERS = ["-{}", "tanh({})", "({})", "{}+x", "x*{}", "{}%2", "({}).a", "~{}", "[{}]", "{}<1"]


@st.composite
def deep_expressions(draw):
    """An expression wrapped hundreds or thousands of times: the depth limits."""
    inner = draw(EXPRESSIONS)
    wrapper = draw(st.sampled_from(WRAPPERS))
    depth = draw(st.sampled_from([10, 150, 199, 201, 330, 1000, 2800, 3500]))
    text = inner
    if wrapper in ("-{}", "~{}"):
        return wrapper[0] * depth + f"({inner})"
    for _ in range(depth):
        text = wrapper.format(text)
    return text


VALUES = st.one_of(st.floats().map(repr), st.sampled_from(["1e-300", "1e300", "0", "-1", "abc", "", "1\n2", "9" * 5000]))
ASSIGNMENTS = st.lists(st.tuples(st.sampled_from([*NAMES, "tanh", "2x", "x y", "z"]), VALUES).map("=".join), max_size=4)


def _explain(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(["explain", "--", *argv])
        except SystemExit as exit:
            status = exit.code
    return status, out.getvalue(), err.getvalue()


def _check_explain(expression, assignments):
    status, out, err = _explain([expression, *assignments])
    if status == 0:
        assert err == ""
        gradients = out.split("gradients:\n")[1].splitlines()[1:]
        for row in gradients:
            value, grad = row.split()[-2:]
            assert math.isfinite(float(value)) and math.isfinite(float(grad)), row
    else:
        assert status == 2, err
        assert out == "" and err.startswith("stepgrad explain: error: ") and err.count("\n") == 1, err
        assert len(err) < 1000, err[:200]


@FUZZ
@given(EXPRESSIONS, ASSIGNMENTS)
def test_fuzz_explain_is_an_answer_or_one_line(expression, assignments):
    _check_explain(expression, assignments)


@FUZZ
@given(EXPRESSIONS, st.lists(st.sampled_from(["1e-300", "1e300", "2", "-3", "0"]), min_size=3, max_size=3))
def test_fuzz_explain_with_every_name_given(expression, numbers):
    _check_explain(expression, [f"{name}={number}" for name, number in zip(NAMES, numbers) if name in expression])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deep_expressions(), st.sampled_from([["x=1"], ["x=0.5", "y=2"], []]))
def test_fuzz_explain_deep_expressions(expression, assignments):
    _check_explain(expression, [a for a in assignments if a.split("=")[0] in expression])


# ---- the engine ----

EXTREME = st.one_of(st.floats(-3, 3), st.sampled_from([0.0, 1e-300, -1e-300, 1e300, -1e300, 1e154, 709.0, 710.0,
                                                     1.7e308, 5e-324, 1e10, -1e10]))
UNARY = ["neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "sin", "cos", "clamp"]
BINARY = ["+", "-", "*", "/", "**", "r+", "r-", "r*", "r/", "r**", "max", "min", "sum", "wsum"]


def _apply(op, a, b, c):
    """`op` on Values a, b and a plain number c."""
    if op in UNARY:
        return {"neg": lambda: -a, "abs": lambda: abs(a), "leaky_relu": lambda: a.leaky_relu(0.1),
                "clamp": lambda: a.clamp(-abs(c), abs(c))}.get(op, lambda: getattr(a, op)())()
    return {
        "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b, "**": lambda: a**b,
        "r+": lambda: c + a, "r-": lambda: c - a, "r*": lambda: c * a, "r/": lambda: c / a, "r**": lambda: c**a,
        "max": lambda: autograd.max([a, b, c]), "min": lambda: autograd.min([a, b, c]),
        "sum": lambda: autograd.sum([a, b, c, a]), "wsum": lambda: autograd.weighted_sum([a, b], [b, c], a),
    }[op]()


PROGRAMS = st.lists(st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 100), st.integers(0, 100), EXTREME),
                    min_size=1, max_size=25)


@FUZZ
@example([0.0], [("+", 0, 0, 0.0), ("r*", 1, 1, 1e308)], 1.0)  # the campaign's cases: inf, then NaN
@example([1e-300], [("log", 0, 0, 0.0), ("r*", 1, 1, 1e10), ("log", 0, 0, 0.0), ("r*", 3, 3, -1e10), ("+", 2, 4, 0.0)], 1.0)
@given(st.lists(EXTREME, min_size=1, max_size=4), PROGRAMS, st.sampled_from([1.0, 1e300, -1.7e308, 1e-300]))
def test_fuzz_engine_no_inf_or_nan_ever_enters_a_graph(leaves, program, grad):
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    for op, i, j, c in program:
        try:
            nodes.append(_apply(op, nodes[i % len(nodes)], nodes[j % len(nodes)], c))
        except (ValueError, OverflowError, ZeroDivisionError) as error:
            assert str(error) and "\n" not in str(error)
    root = nodes[-1]
    for leaf in nodes[: len(leaves)]:
        leaf.grad = grad  # earlier gradients accumulate: the sum must stay finite too
    try:
        root.backward()
    except OverflowError as error:
        assert str(error).startswith("backward: ")
    graph = autograd.draw.graph_nodes(root)
    assert all(math.isfinite(n.data) and math.isfinite(n.grad) for n in graph)
    target(max(math.log10(abs(n.grad) + 1e-300) for n in graph))  # steer towards gradients that overflow
    twin = pickle.loads(pickle.dumps(root))
    assert (twin.data, twin.grad, twin.op, twin.local_grads) == (root.data, root.grad, root.op, root.local_grads)


# ---- nets.load ----

JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=5), st.sampled_from(["MLP", "Layer", "Neuron", "Dropout", "tanh", "softmax"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)
KEYS = ["format", "version", "kind", "config", "state", "nin", "nout", "nouts", "activation", "output_activation",
        "fused", "dropout", "p", "batch_norm", "input_size", "hidden_size", "output_size", "return_sequences", "truncate"]
RAW = ["9" * 400, "9" * 5000, "1e999", "-1e999", "NaN", "Infinity", "[" * 5000, "1000000", "4294967295", "0", "-1",
       "true", '"\\u0000"', "{}", "[]"]


def _saved(model):
    return json.dumps({"format": "stepgrad-model", "version": 1, "kind": type(model).__name__,
                       "config": model.config(), "state": model.state_dict()})


SAVED = [_saved(model) for model in (nets.MLP(2, [3, 1], seed=0), nets.MLP(3, [2, 2], activation="relu", seed=1),
                                     nets.MLP(2, [3, 1], batch_norm=True, seed=0),
                                     nets.dense.Layer(2, 2, seed=0), nets.dense.Neuron(3, seed=0),
                                     nets.layers.Dropout(0.5), nets.recurrent.RNNModel(2, 3, seed=0))]


@st.composite
def mutated_models(draw):
    """A saved model's text, changed the way a fuzzer would: JSON values, raw tokens, bytes."""
    document = json.loads(draw(st.sampled_from(SAVED)))
    for _ in range(draw(st.integers(1, 3))):
        parts = [part for part in (document, document.get("config"), document.get("state")) if isinstance(part, dict)]
        where = draw(st.sampled_from(parts))
        key = draw(st.sampled_from(KEYS + sorted(where)))
        if draw(st.booleans()):
            where[key] = draw(JSON)
        else:
            where.pop(key, None)
    text = json.dumps(document).encode()
    kind = draw(st.sampled_from(["json", "raw", "bytes", "truncate"]))
    if kind == "raw":  # a token JSON cannot carry as a Python value, in place of a number
        number = draw(st.sampled_from(["0.5", "1", "2", "3", "0.0"]))
        text = text.replace(number.encode(), draw(st.sampled_from(RAW)).encode(), 1)
    elif kind == "bytes":
        position = draw(st.integers(0, len(text) - 1))
        text = text[:position] + draw(st.binary(min_size=1, max_size=3)) + text[position + 1:]
    elif kind == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    return text


def load_or_refuse(path, longest=2000):
    """`nets.load(path)`, or None once its ValueError is checked to keep the promise: one line,
    naming the file, shorter than `longest` characters (every model-file fuzzer holds it to this)."""
    try:
        return nets.load(path)
    except ValueError as error:
        assert str(error).startswith(f"{path}: "), error
        assert "\n" not in str(error) and len(str(error)) < longest, error
        return None


@FUZZ
@given(mutated_models())
def test_fuzz_load_is_a_model_or_a_value_error_naming_the_file(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "model.json"
    path.write_bytes(text)
    model = load_or_refuse(path)
    if model is not None:
        assert all(math.isfinite(p.data) for p in model.parameters())
