"""Random expression graphs built from every operation, checked against finite differences.

Each operation is applied only where it is defined and smooth: kinks (relu, abs at 0) and
domain edges make finite differences wrong, so operands are shifted into the domain
(log(a*a + 0.5)) or examples too close to a kink are skipped.
"""

import pytest
from hypothesis import assume, example, given, reject, settings
from hypothesis import strategies as st

import autograd
from autograd import OPS, Value, backward_steps, draw_graph, gradcheck
from autograd.draw import graph_nodes, node_names, op_label


# Kinks (relu at 0, the ties of max) make finite differences lie, so a random graph that
# passes within 1e-3 of one is rejected.  Only the unperturbed build checks: the builds that
# gradcheck nudges by 1e-6 must take the same branches, or they would be other functions.
guarding = True


def away_from_kink(a):
    if guarding and abs(a.data) <= 1e-3:
        reject()
    return a


def apart(*xs):
    """No two candidates of max/min/clamp within 1e-3 of each other."""
    if guarding and any(abs(p - q) <= 1e-3 for i, p in enumerate(xs) for q in xs[i + 1 :]):
        reject()


# For every op code of the table: how the random graphs apply it to two earlier nodes a, b.
STRATEGIES = {
    "neg": lambda a, b: -a,
    "abs": lambda a, b: abs(away_from_kink(a)),
    "exp": lambda a, b: a.tanh().exp() if abs(a.data) > 20 else a.exp(),
    "log": lambda a, b: (a * a + 0.5).log(),
    "sqrt": lambda a, b: (a * a + 0.5).sqrt(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: away_from_kink(a).relu(),
    "leaky_relu": lambda a, b: away_from_kink(a).leaky_relu(0.1),
    "sin": lambda a, b: a.sin(),
    "cos": lambda a, b: a.cos(),
    "clamp": lambda a, b: apart(a.data - 0.5, -1, 0) or (a - 0.5).clamp(-1, 0),
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 0.5),
    "**": lambda a, b: (a * a + 0.5) ** b.tanh(),
    "+c": lambda a, b: a + 1.5,
    "-c": lambda a, b: a - 1.5,
    "*c": lambda a, b: a * -1.5,
    "/c": lambda a, b: a / 1.5,
    "**c": lambda a, b: (a**3 + (b * b + 0.5) ** -1.5) ** 2,  # a cube, a real power, a square
    "c+": lambda a, b: 1.5 + a,
    "c*": lambda a, b: -1.5 * a,
    "c-": lambda a, b: 1.5 - a,
    "c/": lambda a, b: 1.5 / (a * a + 0.5),
    "c**": lambda a, b: 2 ** a.tanh(),
    "sum": lambda a, b: autograd.sum([a, b, 2.0, a]),
    "wsum": lambda a, b: autograd.weighted_sum([a, b], [b, 0.5], a),
    "dot": lambda a, b: autograd.weighted_sum([a, b], [0.5, -1.5]),
    "max": lambda a, b: apart(a.data, b.data * 0.5, 0.1) or autograd.max([a, b * 0.5, 0.1]),
    "min": lambda a, b: apart(a.data, b.data - 0.3) or autograd.min([a, b - 0.3]),
}


step = st.tuples(st.sampled_from(sorted(STRATEGIES)), st.integers(0, 10**6), st.integers(0, 10**6))
inputs = st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=1, max_size=4)


def build(recipe, leaves):
    """Apply each step to earlier nodes (chosen by index), so nodes get reused."""
    nodes = list(leaves)
    for name, i, j in recipe:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        out = STRATEGIES[name](a, b)
        assume(abs(out.data) < 1e3)
        nodes.append(out)
    return autograd.sum(nodes[len(leaves):]) if len(nodes) > len(leaves) else nodes[0] * 1.0


@settings(max_examples=300, deadline=None)
@given(inputs, st.lists(step, min_size=1, max_size=8))
@example([0.0, 0.001], [("max", 1, 0)])  # a tie 1e-3 apart: the nudged builds once took another branch
def test_random_graphs_match_finite_differences(xs, recipe):
    global guarding
    build(recipe, [Value(x) for x in xs])  # skips recipes that leave the domain or near a kink
    guarding = False
    try:
        result = gradcheck(lambda *leaves: build(recipe, leaves), xs)
    finally:
        guarding = True
    assert result, str(result)


@settings(max_examples=100, deadline=None)
@given(inputs, st.lists(step, min_size=1, max_size=8))
def test_backward_twice_doubles_every_gradient(xs, recipe):
    leaves = [Value(x) for x in xs]
    out = build(recipe, leaves)
    out.backward()
    once = [leaf.grad for leaf in leaves]
    out.backward()
    # Leaves add each path's contribution as it comes, so rounding may differ in the last bits
    # when contributions nearly cancel: compare at the scale of the gradients.
    scale = max(1.0, *map(abs, once))
    assert [leaf.grad for leaf in leaves] == pytest.approx([2 * g for g in once], rel=1e-12, abs=1e-12 * scale)


def test_every_operation_in_the_table_has_a_strategy():
    missing = sorted(set(OPS) - set(STRATEGIES))
    assert not missing, f"no property-test strategy for {', '.join(missing)}: add one to STRATEGIES"


@pytest.mark.parametrize("code", sorted(STRATEGIES))
def test_each_operation_is_built_by_its_strategy_and_has_a_sentence_and_a_label(code):
    """Away from kinks (where some strategies fall back to `a`), each strategy builds its op;
    the step's sentence has the table's formula and every slope, and the drawing its label."""
    out = STRATEGIES[code](Value(0.7, label="a"), Value(-0.4, label="b"))
    assert out.op == code
    out.label = "out"
    names = node_names(graph_nodes(out))
    sentence = next(backward_steps(out)).explain()
    assert sentence.startswith(f"out = {OPS[code].formula_text(out, names)}: ")
    slopes = OPS[code].slope_texts(out, names)
    # a slope with cases follows its number in brackets: `= 1.0000 (1 if a > 0 else 0)`
    assert len(slopes) == len(out.parents) and all(f" = {slope}" in sentence or f" ({slope})" in sentence
                                                   for slope in slopes)
    ops_drawn = [line for line in draw_graph(out).source.splitlines() if "_op [label=" in line and "->" not in line]
    assert op_label(out) and op_label(out) in ops_drawn[-1]
