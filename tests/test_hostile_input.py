"""Model files, `stepgrad train` and `stepgrad explain` under hostile and clumsy input (issue 10):
one-line errors naming the file or argument, nothing exhausted, nothing overwritten."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import nets
from autograd import Value, draw_graph
from autograd.draw import render
from nets import MLP, optim
from nets.cli import build_parser, main
from nets.datasets import load as load_dataset
from autograd.files import remove_stale_temporaries, write_atomically
from nets.training import DivergenceError, fit, predict


def _status(argv):
    try:
        return main(argv)
    except SystemExit as exit:  # argparse exits by itself
        return exit.code


def _one_line_error(capsys, argv, message):
    status = _status(argv)
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and message in err, err
    return err


# ---- model files ----


def _document(**changes):
    document = {"format": "stepgrad-model", "version": 1, "kind": "Layer",
                "config": {"nin": 1, "nout": 1}, "state": {"neurons.0.w1": 0.5, "neurons.0.b": 0.0}}
    document.update(changes)
    return document


@pytest.mark.parametrize("text, message", [
    (json.dumps(_document(kind=[])), "unknown model kind []"),
    (json.dumps(_document(kind="MLP", config={"nin": 2, "nouts": 5})), "does not give its sizes as integers"),
    (json.dumps(_document()).replace("0.5", "9" * 400), "a number of 400 digits is too large"),
    (json.dumps(_document()).replace("0.5", "9" * 4301), "a number of 4,301 digits is too large"),
    (json.dumps(_document()).replace("0.5", "1" + "0" * 400 + ".0"), "is too large for a float"),
    (json.dumps(_document()).replace("0.5", "NaN"), "NaN is not a number JSON allows"),
    (json.dumps(_document()).replace("0.5", "-Infinity"), "-Infinity is not a number JSON allows"),
], ids=["kind list", "nouts int", "400 digits", "4301 digits", "huge float", "NaN", "-Infinity"])
def test_every_malformed_file_is_a_value_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "model.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="^" + str(path)) as error:
        nets.load(path)
    assert message in str(error.value) and "set_int_max_str_digits" not in str(error.value)


def test_a_tiny_file_asking_for_a_huge_layer_is_refused_before_building_it(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(_document(config={"nin": 1_000_000, "nout": 9}, state={})))  # 9 M parameters, no weights
    monkeypatch.setattr(nets.dense.Layer, "__init__", lambda *args, **config: pytest.fail("built the model"))
    with pytest.raises(ValueError, match="the architecture has 9,000,009 parameters but the file holds only 0 weights"):
        nets.load(path)


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_not_read(path):
    with pytest.raises(ValueError, match=f"{path}: not a stepgrad model: not a regular file"):
        nets.load(path)


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        nets.load(fifo)


def test_a_file_over_the_byte_cap_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr("nets.serialize.MAX_BYTES", 100)
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=0).save(path)
    with pytest.raises(ValueError, match="larger than 100 bytes"):
        nets.load(path)


def test_huge_weights_that_load_name_the_cause_when_the_forward_pass_overflows(tmp_path):
    path = tmp_path / "model.json"
    MLP(2, [1], seed=0).save(path)
    document = json.loads(path.read_text())
    document["state"] = dict.fromkeys(document["state"], 1e308)
    path.write_text(json.dumps(document))
    model = nets.load(path)
    with pytest.raises(OverflowError, match=r"the forward pass overflowed .*largest weight is 1e\+308"):
        predict(model, [[1.0, 1.0]])


def test_save_refuses_non_finite_weights_and_writes_nothing(tmp_path):
    model = MLP(2, [1], seed=0)
    model.parameters()[1].data = math.inf
    with pytest.raises(ValueError, match=r"save: cannot save .*: the weight 'layers\.0\.neurons\.0\.w2' is inf"):
        model.save(tmp_path / "model.json")
    assert list(tmp_path.iterdir()) == []


def test_an_mlp_checks_its_hidden_activation_even_without_hidden_layers():
    with pytest.raises(ValueError, match="unknown activation 'softmax'"):
        MLP(2, [1], activation="softmax")


# ---- writing files: no device, FIFO or symlink replaced; stale temporaries removed ----


@pytest.mark.parametrize("kind", ["symlink", "fifo", "device"])
def test_only_a_regular_file_is_replaced(tmp_path, kind):
    target = tmp_path / "model.json"
    if kind == "symlink":
        (tmp_path / "real.json").write_text("keep me")
        target.symlink_to(tmp_path / "real.json")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target = "/dev/null"
    with pytest.raises(FileExistsError, match="only a regular file is replaced"):
        write_atomically(target, "x")
    if kind == "symlink":
        assert target.is_symlink() and (tmp_path / "real.json").read_text() == "keep me"


def test_a_name_too_long_for_the_file_system_is_refused_up_front(tmp_path):
    with pytest.raises(OSError, match="the file name is 256 bytes long; this file system allows at most 255"):
        write_atomically(tmp_path / ("m" * 251 + ".json"), "x")


def test_a_name_as_long_as_the_file_system_allows_is_written(tmp_path):
    """The temporary beside it shortens its copy of the name, so it fits too."""
    path = write_atomically(tmp_path / ("m" * 250 + ".json"), "x")
    assert path.read_text() == "x" and os.listdir(tmp_path) == [path.name]


def test_temporaries_of_killed_writers_are_removed_by_the_next_write(tmp_path):
    """A writer killed with SIGKILL leaves its temporary; the next write removes it."""
    script = ("import os, autograd.files as f; f.os.replace = lambda *a: os.kill(os.getpid(), 9); "
              f"f.write_atomically({str(tmp_path / 'model.json')!r}, 'half')")
    subprocess.run([sys.executable, "-c", script], check=False)
    left = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(left) == 1 and left[0].startswith(".model.json.")
    (tmp_path / ".other.json.1.abcdefgh.tmp").write_text("not ours to remove")
    live = tmp_path / f".model.json.{os.getpid()}.abcdefgh.tmp"  # a writer still running: kept
    live.write_text("in progress")
    write_atomically(tmp_path / "model.json", "whole")
    assert sorted(os.listdir(tmp_path)) == sorted([".other.json.1.abcdefgh.tmp", live.name, "model.json"])
    assert remove_stale_temporaries(tmp_path / "model.json") == []


# ---- fit: divergence on weights that stop being finite ----


def test_fit_raises_divergence_when_a_step_makes_a_weight_infinite():
    X, y = np.array([[100.0, 100.0], [-100.0, 50.0]]), np.array([1, 0])  # gradients far over 1
    model = MLP(2, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(DivergenceError, match="epoch 1, batch 1: the step made a weight infinite"):
        fit(model, X, y, loss="mse", optimizer=optim.SGD(model.parameters(), lr=1e308), epochs=3, progress=False)
    assert model.state_dict() == before  # the last finite weights are kept


# ---- clip_grad_norm ----


def test_clip_grad_norm_refuses_an_infinite_gradient():
    a, b = Value(1.0), Value(1.0)
    a.grad, b.grad = math.inf, 3.0
    with pytest.raises(ValueError, match="clip_grad_norm: a gradient is inf"):
        optim.clip_grad_norm([a, b], 1.0)
    assert b.grad == 3.0


def test_clip_grad_norm_handles_gradients_too_large_to_square():
    a, b = Value(1.0), Value(1.0)
    a.grad, b.grad = 3e200, -4e200
    assert optim.clip_grad_norm([a, b], 1.0) == pytest.approx(5e200)
    assert (a.grad, b.grad) == (pytest.approx(0.6), pytest.approx(-0.8))


# ---- stepgrad train ----


@pytest.mark.parametrize("kind", ["symlink", "fifo", "device"])
def test_train_refuses_to_save_over_anything_but_a_regular_file(tmp_path, monkeypatch, capsys, kind):
    monkeypatch.setattr("nets.cli.commands.fit", lambda *a, **k: pytest.fail("trained despite a bad --save"))
    target = tmp_path / "model.json"
    if kind == "symlink":
        target.symlink_to(tmp_path / "elsewhere.json")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target = "/dev/null"
    _one_line_error(capsys, ["train", "--save", str(target), "--quiet"], "only a regular file is replaced")


def test_train_refuses_a_file_name_too_long_before_training(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("nets.cli.commands.fit", lambda *a, **k: pytest.fail("trained despite a bad --save"))
    _one_line_error(capsys, ["train", "--save", str(tmp_path / ("m" * 256)), "--quiet"], "the file name is 256 bytes")


def test_train_bounds_the_epochs(capsys):
    _one_line_error(capsys, ["train", "--epochs", "99999999999999999999"], "argument --epochs: expected at most 100000")


def test_train_accepts_the_largest_documented_seed():
    """The held-out points use seed + 1, which wraps around to 0 at the top (seeds are 32-bit)."""
    args = build_parser().parse_args(["train", "--seed", "4294967295"])
    X, y, X_test, y_test = load_dataset("moons", 20, args.seed)
    assert len(X) == 20 and len(X_test) == 500 and not np.array_equal(X[:20], X_test[:20])


@pytest.mark.parametrize("argv", [["train", "--data", "a\nb"], ["train", "--nope\nnope"], ["train", "--lr", "x\ny"]])
def test_an_argument_with_a_newline_is_echoed_on_one_line(capsys, argv):
    _one_line_error(capsys, argv, "\\n")


def test_a_huge_argument_is_not_echoed_whole(capsys):
    err = _one_line_error(capsys, ["train", "--seed", "9" * 100_000], "argument --seed")
    assert len(err) < 500


# ---- stepgrad explain ----


@pytest.mark.parametrize("wrapper", ["{}%2", "({}).real", "~{}", "not {}", "[{}]", "lambda: {}", "{} < 1",
                                     "1 if {} else 2", "tanh({}, 1)"])
def test_a_disallowed_construct_around_a_deep_subtree_is_one_line(capsys, wrapper):
    deep = "-" * 400 + "x"  # ast.unparse of this recursed past Python's limit
    _one_line_error(capsys, ["explain", "--", wrapper.format(deep), "x=1"], "stepgrad explain: error: ")


def test_a_name_too_long_to_draw_whole_is_cut_in_the_drawing(tmp_path, capsys):
    name = "x" * 16_400  # over Graphviz's limit for one string
    assert main(["explain", f"{name}*2", f"{name}=1", "--svg", str(tmp_path / "g.svg")]) == 0
    assert (tmp_path / "g.svg").stat().st_size < 10_000


def test_graphviz_failing_for_another_reason_is_one_line(tmp_path):
    graph = draw_graph(Value(1.0) * 2)
    graph.body.append("this is not DOT {{{\n")
    with pytest.raises(ValueError, match="^Graphviz's dot could not draw the graph: 'Error: ") as error:
        render(graph, tmp_path / "g.svg")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("expression, message", [
    ("log(x)*1e10", "backward: log: the gradient it passes to its input 'x' is not a finite number"),
    ("log(x)*1e10+log(x)*-1e10", "backward: log: the gradient it passes to its input 'x'"),
])
def test_explain_never_prints_an_infinite_or_nan_gradient(capsys, expression, message):
    _one_line_error(capsys, ["explain", expression, "x=1e-300"], message)


@pytest.mark.parametrize("argv, message", [
    (["x*" + "9" * 4400, "x=1"], "a number has more than 4,300 digits, far too many for a float"),
    (["x*" + "9" * 400, "x=1"], "the number (an integer of about 400 digits) is too large for a float"),
    (["x*1e400", "x=1"], "the number inf is too large for a float"),
    (["x", "x=" + "9" * 100_000], "the value of 'x' must be a finite number, got '9999"),
])
def test_explain_huge_numbers_are_one_short_line(capsys, argv, message):
    err = _one_line_error(capsys, ["explain", *argv], message)
    assert len(err) < 300 and "set_int_max_str_digits" not in err
