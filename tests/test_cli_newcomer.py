"""The command line as a newcomer meets it: help, version, examples, train's validation split,
per-data-set defaults, CPU time, the compiled mark, the chance hint, --max-norm and --clip, and
explain's options in any order."""

import re

import numpy as np
import pytest

import nets
from nets.callbacks import ClipGradNorm, MaxNorm
from nets.cli import build_parser, main
from nets.cli.commands import chance_hint, split_validation, with_recipe


def _help(*argv):
    with pytest.raises(SystemExit) as exit:
        main([*argv, "--help"])
    return exit.value.code


def test_bare_stepgrad_prints_the_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: stepgrad") and "explain" in out and "train" in out and "examples:" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0 and re.fullmatch(r"stepgrad \d+\.\d+\.\d+\n", capsys.readouterr().out)


@pytest.mark.parametrize("command", [[], ["explain"], ["train"]])
def test_help_ends_with_examples_and_fits_80_columns(command, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert _help(*command) == 0
    lines = capsys.readouterr().out.rstrip().splitlines()
    examples = lines.index("examples:")
    assert all(line.startswith("  stepgrad") or line.startswith("    ") for line in lines[examples + 1:])
    assert max(map(len, lines)) <= 80, max(lines, key=len)


def test_trains_help_lists_each_data_sets_defaults_from_the_registry(capsys):
    assert _help("train") == 0
    out = capsys.readouterr().out
    assert "  --data digits: --optimizer adam --lr 0.01 --batch-size 32 --epochs 20\n" in out
    assert "  --data xor: --validation-split 0\n" in out


def test_the_demos_help_says_what_it_does(capsys):
    build_parser().print_help()
    listed = " ".join(capsys.readouterr().out.split())
    assert "demo train micrograd's demo network (2-16-16-1, relu) on 100 two-moons points" in listed
    assert _help("demo") == 0
    assert "a 2-16-16-1 relu network learns two moons" in " ".join(capsys.readouterr().out.split())


def test_explain_takes_options_and_values_in_any_order(tmp_path, capsys):
    for argv in (["x*x", "--svg", str(tmp_path / "a.svg"), "x=3"], ["--svg", str(tmp_path / "b.svg"), "x=3", "x*x"]):
        assert main(["explain", *argv]) == 0
        assert "x = 3.0000" in capsys.readouterr().out
    assert (tmp_path / "a.svg").read_text().startswith("<?xml") and (tmp_path / "b.svg").exists()
    assert main(["explain", "--", "-x*x", "x=3"]) == 0  # -- still ends the options


def _recipe(*argv):
    args = build_parser().parse_args(["train", *argv])
    with_recipe(args, nets.datasets.DATASETS[args.data].recipe)
    return args


def test_each_data_set_brings_its_defaults_and_a_given_flag_wins():
    digits = _recipe("--data", "digits")
    assert (digits.optimizer, digits.lr, digits.batch_size, digits.epochs, digits.validation_split) == ("adam", 0.01, 32, 20, 0.2)
    assert _recipe("--data", "digits", "--epochs", "3").epochs == 3
    assert _recipe("--data", "digits", "--optimizer", "sgd").lr is None  # SGD's own lr, not Adam's
    moons = _recipe("--data", "moons")
    assert (moons.optimizer, moons.lr, moons.batch_size, moons.epochs) == ("sgd", None, None, 100)
    assert _recipe("--data", "xor").validation_split == 0.0


def test_validation_is_split_off_the_training_data_and_the_test_split_measured_once(monkeypatch, capsys):
    seen = {}
    real_fit, real_evaluate = nets.cli.commands.fit, nets.cli.commands.evaluate

    def fit(model, X, y, **options):
        seen["train"], seen["validation"] = X, options["validation_data"]
        return real_fit(model, X, y, **options)

    def evaluate(model, X, y, **options):
        seen.setdefault("evaluated", []).append(len(X))
        return real_evaluate(model, X, y, **options)

    monkeypatch.setattr(nets.cli.commands, "fit", fit)
    monkeypatch.setattr(nets.cli.commands, "evaluate", evaluate)
    assert main(["train", "--data", "moons", "--samples", "50", "--epochs", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    X, y, X_test, _ = nets.datasets.load("moons", 50, 0)
    X_val = seen["validation"][0]
    assert len(seen["train"]) == 40 and len(X_val) == 10
    assert {tuple(r) for r in X_val} | {tuple(r) for r in seen["train"]} == {tuple(r) for r in X}  # split off, all used
    assert seen["evaluated"] == [40, 10, len(X_test)]  # the test split once, after training
    assert "validation accuracy" in out and "(10 points split off the training data)" in out
    assert re.search(r"test accuracy: \d+\.\d% \(500 held-out points, measured once, after training\)", out)


def test_a_validation_split_must_leave_points_on_both_sides():
    X, y = np.zeros((10, 2)), np.zeros(10)
    assert [len(a) for a in split_validation(X, y, 0.0, 0)] == [10, 10, 0, 0]
    with pytest.raises(ValueError, match="--validation-split 0.01 of 10 training points leaves 10 to train on and 0"):
        split_validation(X, y, 0.01, 0)


def test_training_time_in_cpu_seconds_and_compiled_runs_are_marked(capsys):
    assert main(["train", "--data", "moons", "--samples", "40", "--epochs", "2", "--quiet"]) == 0
    plain = capsys.readouterr().out
    assert re.search(r"trained in \d+\.\d s of CPU time\n", plain) and "compiled" not in plain
    assert main(["train", "--data", "moons", "--samples", "40", "--epochs", "2", "--quiet", "--compiled"]) == 0
    compiled = capsys.readouterr().out
    assert ", compiled (--compiled" in compiled and re.search(r"trained in \d+\.\d s of CPU time \(compiled\)", compiled)


def test_a_network_at_chance_gets_a_one_line_hint(capsys):
    assert main(["train", "--data", "moons", "--samples", "60", "--epochs", "10", "--lr", "100", "--quiet"]) == 0
    hints = [line for line in capsys.readouterr().out.splitlines() if line.startswith("hint:")]
    assert len(hints) == 1 and "ended at chance" in hints[0] and "--lr, e.g. 1" in hints[0]
    assert chance_hint(0.9, np.array([0, 1, 1, 0]), 0.1) is None
    assert chance_hint(0.75, np.array([0, 1, 1, 1]), 0.1) is not None  # the commonest class alone scores 75%


def test_max_norm_and_clip_steer_training(monkeypatch, capsys):
    seen = {}
    real_fit = nets.cli.commands.fit

    def fit(model, X, y, **options):
        seen["callbacks"] = options["callbacks"]
        seen["model"] = model
        return real_fit(model, X, y, **options)

    monkeypatch.setattr(nets.cli.commands, "fit", fit)
    assert main(["train", "--data", "moons", "--samples", "40", "--epochs", "3", "--max-norm", "0.5", "--clip", "1",
                 "--quiet"]) == 0
    max_norm, clip = seen["callbacks"]
    assert isinstance(max_norm, MaxNorm) and max_norm.max_norm == 0.5
    assert isinstance(clip, ClipGradNorm) and clip.max_norm == 1.0
    norms = [np.hypot.reduce([w.data for w in n.w]) for layer in seen["model"].layers for n in layer.neurons]
    assert max(norms) <= 0.5 + 1e-12


def test_plot_titles_name_the_loss_in_words(tmp_path, monkeypatch, capsys):
    figures = []
    real = nets.cli.commands.loss_curves
    monkeypatch.setattr(nets.cli.commands, "loss_curves", lambda *a, **k: figures.append(real(*a, **k)) or figures[-1])
    assert main(["train", "--data", "spiral", "--samples", "30", "--epochs", "1", "--quiet",
                 "--plots", str(tmp_path)]) == 0
    assert figures[0].axes[0].get_title() == "Cross-entropy loss"  # not the registry key, Cross_entropy


@pytest.mark.slow
def test_digits_with_the_defaults_reaches_95_percent(capsys):
    assert main(["train", "--data", "digits", "--compiled", "--quiet"]) == 0  # compiled: the same steps, quicker
    out = capsys.readouterr().out
    assert float(re.search(r"test accuracy: ([\d.]+)%", out).group(1)) >= 95.0
