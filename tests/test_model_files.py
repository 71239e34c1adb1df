"""Model files of every kind against hostile content: sizes checked before anything is built."""

from __future__ import annotations

import json
import tracemalloc

import pytest

import nets
from nets import serialize


def _write(tmp_path, kind, config, state=None, name="model.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"format": "stepgrad-model", "version": 3, "kind": kind, "config": config,
                                "state": state or {}}))
    return path


def _sequential(*modules):
    return {"modules": [{"kind": kind, "config": config} for kind, config in modules]}


@pytest.fixture
def small_limit(monkeypatch):
    """A limit of 1,000 parameters: a file past it must be refused before its model is built
    (if it were built, the 1,001,000 weights below take seconds and the error says something else)."""
    monkeypatch.setattr(serialize, "MAX_PARAMETERS", 1_000)


def test_a_sibling_with_a_size_that_is_not_an_integer_does_not_skip_the_count(tmp_path, small_limit):
    path = _write(tmp_path, "Sequential", _sequential(("Linear", {"nin": 1000, "nout": 1000}),
                                                      ("Linear", {"nin": "3", "nout": 2})))
    with pytest.raises(ValueError, match=r"the config of Linear .* does not give its sizes as integers"):
        nets.load(path)


def test_a_negative_sibling_does_not_cancel_the_count(tmp_path, small_limit):
    path = _write(tmp_path, "Sequential", _sequential(("Linear", {"nin": 1000, "nout": 1000}),
                                                      ("Linear", {"nin": -1002, "nout": 1000})))
    with pytest.raises(ValueError, match="a size of -1002 is negative"):
        nets.load(path)


@pytest.mark.parametrize("kind, config", [
    ("Neuron", {"nin": 2, "fan_out": -2}),  # once a ZeroDivisionError in Xavier's fan_in + fan_out
    ("MLP", {"nin": 2, "nouts": [-2]}),
    ("MLP", {"nin": 2, "nouts": [3, -2, 1]}),
    ("Conv2d", {"in_channels": 1, "out_channels": -1, "kernel_size": 3}),
    ("RNN", {"input_size": 2, "hidden_size": -3}),
])
def test_negative_sizes_are_refused_naming_the_file(tmp_path, kind, config):
    path = _write(tmp_path, kind, config)
    with pytest.raises(ValueError, match=f"^{path}: a size of -[0-9]+ is negative"):
        nets.load(path)


def test_batchnorm_parameters_are_counted(tmp_path):
    path = _write(tmp_path, "BatchNorm1d", {"num_features": 1_000_000})  # 115 bytes once built 2,000,000 Values
    with pytest.raises(ValueError, match="has 2,000,000 parameters but the file holds only 0 weights"):
        nets.load(path)


def test_a_padding_larger_than_the_kernel_is_refused(tmp_path):
    path = _write(tmp_path, "Conv2d", {"in_channels": 1, "out_channels": 1, "kernel_size": 3, "padding": 10**6},
                  dict.fromkeys(nets.Conv2d(1, 1, 3).state_dict(), 0.0))
    with pytest.raises(ValueError, match="padding must be less than kernel_size \\(3\\), got 1000000"):
        nets.load(path)
    with pytest.raises(ValueError, match="padding must be less than kernel_size"):
        nets.Conv2d(1, 1, 3, padding=3)
    assert nets.Conv2d(1, 1, 3, padding=2).padding == 2


def test_a_negative_running_variance_is_refused_and_nothing_is_set(tmp_path):
    bn = nets.BatchNorm1d(2)
    state = bn.state_dict()
    path = tmp_path / "bn.json"
    bn.save(path)
    document = json.loads(path.read_text())
    document["state"]["running_var.1"] = -0.5
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="running_var.1 must be a variance, >= 0, got -0.5"):
        nets.load(path)
    bad = dict(state, **{"running_var.1": -0.5, "weight.0": 7.0})
    with pytest.raises(ValueError, match="running_var.1"):
        bn.load_state_dict(bad)
    assert bn.state_dict() == state


def test_loading_a_small_file_allocates_little(tmp_path):
    path = _write(tmp_path, "ReLU", {})  # once read with read(MAX_BYTES + 1): 400 MB for 90 bytes
    tracemalloc.start()
    try:
        nets.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20


def test_a_key_given_twice_is_refused_naming_it(tmp_path):
    path = tmp_path / "model.json"
    nets.Linear(1, 1, seed=0).save(path)
    text = path.read_text().replace('"state": {', '"state": {"neurons.0.w1": 5.0, ', 1)
    path.write_text(text)
    with pytest.raises(ValueError, match="the key 'neurons.0.w1' appears twice"):
        nets.load(path)


def test_an_error_python_itself_wraps_is_still_one_line(tmp_path):
    """random.Random's TypeError for a seed it cannot use spans two lines; the file's error must not."""
    path = _write(tmp_path, "Linear", {"nin": 1, "nout": 1, "seed": []}, dict.fromkeys(nets.Linear(1, 1).state_dict(), 0.0))
    with pytest.raises(ValueError, match=f"^{path}: the architecture or weights are wrong: .*seed") as error:
        nets.load(path)
    assert "\n" not in str(error.value)
