"""`stepgrad train` and `stepgrad demo`: happy paths, files written, one-line errors with status 2."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import nets
from nets.cli import commands, main


@pytest.mark.slow
def test_train_moons_saves_a_model_and_plots(tmp_path, capsys):
    model_path, plots = tmp_path / "model.json", tmp_path / "plots"
    status = main(["train", "--data", "moons", "--samples", "60", "--hidden", "8", "--activation", "tanh",
                   "--loss", "hinge", "--optimizer", "sgd", "--lr", "0.1", "--epochs", "5", "--batch-size", "16",
                   "--seed", "0", "--save", str(model_path), "--plots", str(plots), "--quiet"])
    out = capsys.readouterr().out
    assert status == 0
    assert "train accuracy" in out and "test accuracy" in out
    assert nets.load(model_path).config()["nouts"] == [8, 1]
    for name in ("loss_curve.png", "decision_boundary.png", "gradient_norms.png"):
        assert (plots / name).stat().st_size > 1000


@pytest.mark.slow
@pytest.mark.parametrize("argv", [
    ["--data", "spiral", "--samples", "60", "--optimizer", "adam", "--epochs", "2"],  # cross_entropy by default
    ["--data", "xor", "--hidden", "4", "--loss", "bce", "--epochs", "3", "--momentum", "0.9"],
    ["--data", "circles", "--samples", "40", "--loss", "bce_with_logits", "--hidden", "", "--epochs", "2"],
    ["--data", "blobs", "--samples", "40", "--loss", "cross_entropy", "--dropout", "0.2", "--epochs", "2"],
    ["--data", "digits", "--optimizer", "adam", "--batch-size", "128", "--epochs", "1", "--compiled"],
])
def test_train_other_datasets_and_losses(argv, capsys):
    assert main(["train", *argv, "--quiet"]) == 0
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["--lr", "0"], "argument --lr: expected a positive float, got '0'"),
    (["--lr", "fast"], "argument --lr: expected a positive float"),
    (["--epochs", "-3"], "argument --epochs: expected a positive int"),
    (["--hidden", "16,x"], "argument --hidden: expected comma-separated positive layer sizes"),
    (["--data", "mnist", "--data-dir", "/nonexistent"], "mnist: no train files in '/nonexistent': put train-images-idx3-ubyte.gz"),
    (["--data", "moons", "--data-dir", "/tmp"], "data: moons is made, not read from files; a folder is for mnist"),
    (["--data", "dogs"], "argument --data: invalid choice: 'dogs'"),
    (["--loss", "l1"], "argument --loss: invalid choice"),
    (["--dropout", "1"], "argument --dropout: expected a number in [0, 1)"),
    (["--data", "spiral", "--loss", "hinge"], "--loss hinge needs two classes but --data spiral has 3"),
    (["--optimizer", "adam", "--momentum", "0.9"], "--momentum is for --optimizer sgd"),
    (["--save", "/nonexistent/dir/m.json"], "argument --save: the folder '/nonexistent/dir' does not exist"),
    (["--seed", "-1"], "argument --seed: expected an integer in 0..4294967295, got '-1'"),
    (["--seed", "4294967296"], "argument --seed: expected an integer in 0..4294967295"),
    (["--seed", "1.5"], "argument --seed: expected an integer"),
    (["--samples", "100001"], "argument --samples: expected at most 100000, got '100001'"),
    (["--hidden", "16,5000"], "argument --hidden: each layer size must be at most 4096"),
    (["--data", "moons", "--model", "cnn"], "--model cnn needs images, and --data moons is points; use --data digits or mnist"),
    (["--data", "digits", "--channels", "4"], "--channels is for --model cnn"),
    (["--model", "cnn", "--channels", "0"], "argument --channels: expected a positive int"),
    (["--model", "cnn", "--channels", "65"], "argument --channels: expected at most 64"),
    (["--final-lr", "-1"], "argument --final-lr: expected a non-negative number"),
])
def test_bad_arguments_are_one_line_errors_with_status_2(argv, message, capsys):
    try:
        status = main(["train", *argv, "--quiet"])
    except SystemExit as exit:  # argparse exits by itself
        status = exit.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(("flag", "make", "message"), [
    ("--save", lambda tmp: tmp, "argument --save: '{path}' is a directory, not a file"),
    ("--plots", lambda tmp: tmp / "file.txt", "argument --plots: cannot make the directory '{path}'"),
    ("--plots", lambda tmp: tmp / "file.txt" / "plots", "argument --plots: cannot make the directory '{path}'"),
])
def test_bad_output_paths_are_refused_before_training(tmp_path, monkeypatch, flag, make, message, capsys):
    (tmp_path / "file.txt").write_text("keep me")
    monkeypatch.setattr("nets.cli.commands.fit", lambda *a, **k: pytest.fail("trained despite a bad path"))
    path = make(tmp_path)
    try:
        status = main(["train", flag, str(path), "--quiet"])
    except SystemExit as exit:
        status = exit.code
    err = capsys.readouterr().err
    assert status == 2 and message.format(path=path) in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"] and (tmp_path / "file.txt").read_text() == "keep me"


def test_compiled_training_refuses_dropout_in_one_line(capsys):
    assert main(["train", "--data", "moons", "--samples", "40", "--dropout", "0.5", "--compiled", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Dropout(p=0.5) in training mode draws a new random mask" in err and len(err.splitlines()) == 1


def test_an_internal_type_error_is_not_disguised_as_a_user_error(monkeypatch):
    def bug(args):
        raise TypeError("unsupported operand")

    monkeypatch.setattr("nets.cli.commands.train", bug)
    with pytest.raises(TypeError, match="unsupported operand"):
        main(["train", "--quiet"])


@pytest.mark.slow
def test_divergence_is_reported_as_a_one_line_error(capsys):
    status = main(["train", "--data", "moons", "--activation", "tanh", "--loss", "mse", "--lr", "1e6",
                   "--hidden", "8", "--epochs", "50", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and "training diverged at epoch" in err and err.count("\n") == 1


@pytest.mark.slow
def test_demo_trains_prints_accuracy_and_writes_its_pictures(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    train_accuracy = float(out.split("train accuracy: ")[1].split("%")[0])
    test_accuracy = float(out.split("test accuracy: ")[1].split("%")[0])
    assert train_accuracy >= 97 and test_accuracy >= 97
    assert (tmp_path / "decision_boundary.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "loss_curve.png").read_bytes()[:4] == b"\x89PNG"
    svg = (tmp_path / "neuron.svg").read_text()
    assert "<svg" in svg and "grad" in svg and "w1" in svg
    # a caption: which data point, what the grads are derivatives of, what the colours mean
    assert "on training point" in svg and "d(out)/d(that value)" in svg and "blue: the neuron&#39;s parameters" in svg


def test_plots_into_a_folder_that_cannot_be_made_are_refused_before_training(tmp_path, monkeypatch, capsys):
    def read_only(path, exist_ok=False):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr("nets.cli.commands.os.makedirs", read_only)
    monkeypatch.setattr("nets.cli.commands.fit", lambda *a, **k: pytest.fail("trained despite a bad --plots"))
    status = main(["train", "--plots", str(tmp_path / "plots"), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and err == f"stepgrad train: error: cannot write plots into '{tmp_path / 'plots'}': Permission denied\n"


def test_loss_curves_say_which_loss_and_which_points_validation_is():
    history = nets.History()
    for loss in (1.0, 0.5):
        history.record(loss=loss, accuracy=0.5, val_loss=loss, val_accuracy=0.5)
    figure = nets.plot.loss_curves(history, loss_name="hinge loss", validation_name="validation: 500 held-out points")
    loss_axes = figure.axes[0]
    assert loss_axes.get_ylabel() == "hinge loss" and loss_axes.get_title() == "Hinge loss"
    assert [t.get_text() for t in loss_axes.get_legend().get_texts()] == ["training", "validation: 500 held-out points"]


def test_the_installed_command_exits_2_on_a_bad_argument():
    stepgrad = Path(sys.executable).with_name("stepgrad")
    result = subprocess.run([str(stepgrad), "train", "--batch-size", "0"], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == "stepgrad train: error: argument --batch-size: expected a positive int, got '0'\n"


def test_the_neuron_drawing_falls_back_to_dot_source_without_graphviz(tmp_path, monkeypatch, capsys):
    import autograd.draw
    from nets.cli.commands import write_neuron_graph

    def no_dot(graph, format):
        raise FileNotFoundError("Graphviz's 'dot' program is needed; install it with: sudo apt-get install graphviz")

    monkeypatch.setattr(autograd.draw, "pipe", no_dot)
    X, _ = nets.data.moons(n=20, seed=0)
    written = write_neuron_graph(nets.MLP(2, [3, 1], seed=0), X, str(tmp_path / "neuron.svg"))
    assert written == str(tmp_path / "neuron.dot") and not (tmp_path / "neuron.svg").exists()
    assert (tmp_path / "neuron.dot").read_text().startswith("digraph")
    assert "sudo apt-get install graphviz" in capsys.readouterr().out


def test_figures_are_saved_whole(tmp_path):
    figure = nets.plot.gradient_norms([1.0, 0.1])
    path = nets.plot.save(figure, tmp_path / "norms.png")
    assert Path(path).read_bytes().startswith(b"\x89PNG") and sorted(p.name for p in tmp_path.iterdir()) == ["norms.png"]


def test_train_digits_with_the_squared_error_uses_ten_sigmoid_outputs(tmp_path, capsys):
    model_path = tmp_path / "digits.json"
    status = main(["train", "--data", "digits", "--loss", "mse", "--optimizer", "sgd", "--lr", "2", "--epochs", "3",
                   "--batch-size", "20", "--compiled", "--quiet", "--save", str(model_path)])
    out = capsys.readouterr().out
    assert status == 0 and "loss mse" in out
    accuracy = float(out.split("test accuracy")[1].split("%")[0].strip(" :"))
    assert accuracy > 50, out
    config = nets.load(model_path).config()
    assert config["nouts"][-1] == 10 and config["output_activation"] == "sigmoid"


@pytest.mark.parametrize("argv", [
    ["--data", "digits", "--hidden", "4096,4096", "--compiled"],
    ["--data", "moons", "--samples", "100000", "--hidden", "4096,4096"],
    ["--data", "digits", "--model", "cnn", "--channels", "64", "--hidden", "4096,4096", "--compiled"],
])
def test_a_network_and_batch_too_big_for_memory_is_one_line_before_anything_is_built(capsys, monkeypatch, argv):
    monkeypatch.setattr(commands, "available_memory", lambda: 16 * 2**30)  # whatever this machine has free
    assert main(["train", *argv, "--epochs", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert re.match(r"stepgrad train: error: this network \([0-9,]+ parameters\) on batches of [0-9,]+ needs about "
                    r"[0-9,.]+ GiB of memory, more than the [0-9,.]+ GiB available", err)
