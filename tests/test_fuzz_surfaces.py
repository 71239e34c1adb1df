"""Fuzzing the surfaces added last: model files of every module kind, saved Stepper pages with
any labels, and `autograd.compile` with any batch.  Bounded by example count, never by time."""

from __future__ import annotations

import html.parser
import json
import math
import tracemalloc
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import autograd
import nets
from autograd import Stepper, Value
from nets import serialize
from test_fuzz import load_or_refuse  # the promise every model-file fuzzer checks

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])

# ---- model files of every kind ----

MODELS = {
    "Neuron": lambda: nets.dense.Neuron(3, seed=0),
    "Layer": lambda: nets.dense.Layer(2, 2, seed=0),
    "Linear": lambda: nets.Linear(2, 3, seed=0),
    "MLP": lambda: nets.MLP(2, [3, 1], batch_norm=True, seed=0),
    "Dropout": lambda: nets.layers.Dropout(0.5),
    "BatchNorm1d": lambda: nets.BatchNorm1d(3),
    "ReLU": nets.ReLU, "LeakyReLU": nets.LeakyReLU, "Tanh": nets.Tanh, "Sigmoid": nets.Sigmoid, "Flatten": nets.Flatten,
    "Sequential": lambda: nets.Sequential(nets.Conv2d(1, 2, 3, padding=1, seed=0), nets.MaxPool2d(2), nets.ReLU(),
                                          nets.AvgPool2d(1), nets.Flatten(), nets.Linear(8, 2, seed=0)),
    "Conv2d": lambda: nets.Conv2d(1, 2, 3, stride=2, padding=1, seed=0),
    "MaxPool2d": lambda: nets.MaxPool2d(2), "AvgPool2d": lambda: nets.AvgPool2d(2, 1),
    "RNNCell": lambda: nets.RNNCell(2, 3, seed=0), "RNN": lambda: nets.RNN(2, 3, seed=0),
    "RNNModel": lambda: nets.RNNModel(2, 3, seed=0),
    "LSTMCell": lambda: nets.LSTMCell(2, 2, seed=0), "LSTM": lambda: nets.LSTM(2, 2, seed=0),
    "GRUCell": lambda: nets.GRUCell(2, 2, seed=0), "GRU": lambda: nets.GRU(2, 2, seed=0),
}


def test_the_fuzzer_knows_every_kind_a_file_may_name():
    assert sorted(MODELS) == sorted(serialize.kinds())


SAVED = {kind: {"format": "stepgrad-model", "version": 3, "kind": kind, "config": make().config(),
                "state": make().state_dict()} for kind, make in MODELS.items()}
HOSTILE_NUMBERS = st.sampled_from([-1, -2, 0, 10**6, 10**6 + 1, 10**12, 1.5, -0.0, True, "3", None, [], {}, [3, -3],
                                   [10**6, 10**6], 1e308, -1e-320])


def _configs(document):
    """Every config dict in a document (a Sequential's modules' too)."""
    found, stack = [], [document.get("config")]
    while stack:
        config = stack.pop()
        if isinstance(config, dict):
            found.append(config)
            modules = config.get("modules")
            stack += [m.get("config") for m in modules if isinstance(m, dict)] if isinstance(modules, list) else []
    return found


@st.composite
def hostile_model_files(draw):
    document = json.loads(json.dumps(SAVED[draw(st.sampled_from(sorted(SAVED)))]))
    nesting = 0
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["size", "drop", "extra", "state", "nest", "duplicate"]))
        configs = _configs(document)
        if action == "size" and configs:
            config = draw(st.sampled_from(configs))
            if config:
                config[draw(st.sampled_from(sorted(config)))] = draw(HOSTILE_NUMBERS)
        elif action == "drop" and configs and configs[0]:
            configs[0].pop(draw(st.sampled_from(sorted(configs[0]))))
        elif action == "extra" and configs:
            draw(st.sampled_from(configs))[draw(st.sampled_from(["bogus", "seed", "modules"]))] = draw(HOSTILE_NUMBERS)
        elif action == "state":
            state = document["state"]
            key = draw(st.sampled_from(sorted(state) + ["running_var.0", "weight.0", "x" * 300]))
            state[key] = draw(st.sampled_from([-1.0, 1e308, 0, "1", None, [], True, -5]))
        elif action == "nest" and document["kind"] == "Sequential":
            nesting += draw(st.integers(1, 2000))
    text = json.dumps(document)
    if nesting:  # written as text: json.dumps itself would recurse past Python's limit
        inner = json.dumps(document["config"])
        nested = '{"modules": [{"kind": "Sequential", "config": ' * nesting + inner + "}]}" * nesting
        text = json.dumps({**document, "config": None}).replace('"config": null', '"config": ' + nested, 1)
    if "duplicate" in text or draw(st.booleans()):  # a key twice: JSON allows it, a model file must not
        text = text.replace('"state": {', '"state": {"weight.0": 1.0, "weight.0": 2.0, ', 1)
    return text


@FUZZ
@given(text=hostile_model_files())
def test_fuzz_every_kind_of_model_file_is_a_model_or_one_error_naming_it_in_bounded_memory(tmp_path, text):
    path = tmp_path / "model.json"
    path.write_text(text)
    tracemalloc.start()
    try:
        model = load_or_refuse(path, longest=10_000)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 50 * 2**20, f"loading a {len(text):,}-byte file took {peak:,} bytes"
    if model is None:
        return
    state = model.state_dict()
    assert all(isinstance(v, float) and math.isfinite(v) for v in state.values())
    assert all(v >= 0 for k, v in state.items() if "running_var" in k)


# ---- saved pages ----


class _Active(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "img", "iframe", "object", "embed", "image", "a", "link", "meta", "base") and tag != "meta":
            self.found.append(tag)
        self.found += [name for name, _ in attrs if name.startswith("on") or name.endswith("href") or name == "src"]


LABELS = st.one_of(st.text(max_size=30), st.sampled_from(['</script>', '"><img src=x onerror=alert(1)>', "| { } < >",
                                                          "a\nb", "\0", "\\", '<<TABLE HREF="javascript:x">>',
                                                          "z" * 100_000]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(labels=st.lists(LABELS, min_size=2, max_size=3), title=LABELS)
def test_fuzz_a_saved_page_with_any_labels_runs_only_its_own_script(tmp_path, labels, title):
    values = [Value(0.5 + i, label=label) for i, label in enumerate(labels)]
    out = values[0]
    for v in values[1:]:
        out = (out * v).tanh()
    path = Stepper(out).save_html(tmp_path / "steps.html", title=title)
    text = path.read_text()
    parser = _Active()
    parser.feed(text)
    assert [t for t in parser.found if t != "a"] == ["script"]  # ours; an <a> is a drawing's tooltip, never a link
    assert len(text) < 200_000 * len(labels)
    for start in range(text.count("<svg")):
        svg = text.split("<svg")[start + 1].split("</svg>")[0]
        ET.fromstring("<svg" + svg + "</svg>")  # well-formed: no raw control characters


# ---- compile ----

BATCHES = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=0, max_size=5).map(np.array),
    st.lists(st.integers(-5, 5), min_size=1, max_size=5).map(np.array),
    st.lists(st.booleans(), min_size=1, max_size=5).map(np.array),
    st.lists(st.complex_numbers(max_magnitude=3), min_size=1, max_size=3).map(np.array),
    st.sampled_from([np.array([1.0, None], dtype=object), np.array(["1", "2"]), np.zeros((2, 2)), np.zeros((0,)),
                     [[1.0], [1.0, 2.0]], np.array(1.0)]),
)


@FUZZ
@given(first=BATCHES, second=BATCHES, later=BATCHES)
@example(first=np.zeros((2, 2)), second=np.zeros(2), later=np.zeros(2))  # a row of 2 reaches fn as a list of 2 Values
def test_fuzz_compile_is_the_scalar_engines_numbers_or_one_error(first, second, later):
    w = Value(0.7, label="w")

    def fn(x, t):
        return (x * w + t).tanh()

    try:
        tape = autograd.compile(fn, [w], first, second)
    except ValueError as error:
        assert str(error).startswith("compile: "), error
        return
    except TypeError as error:  # fn's own op refusing what a row gave it (a list of Values): its one-line error
        assert str(error).startswith("*: ") and "\n" not in str(error), error
        return
    try:
        out = tape.forward(later, later)
    except ValueError as error:
        assert str(error).startswith("Tape: "), error
        return
    expected = [fn(Value(float(x)), Value(float(x))).data for x in np.asarray(later, dtype=float).reshape(-1)]
    assert out[0].tolist() == pytest.approx(expected, rel=1e-12, abs=1e-15)
    grads = tape.backward()
    assert np.isfinite(grads).all() and math.isfinite(w.grad)
