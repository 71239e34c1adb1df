"""`stepgrad train --model cnn`: a convolutional network on the digits as images, from the command line."""

import pytest

import nets
from nets import Conv2d, Dropout, Linear, MaxPool2d, Sequential, Tanh
from nets.cli import commands, main


@pytest.fixture
def few_digits(monkeypatch):
    """The digits, cut to 100 training and 60 test images so the command takes seconds."""
    digits = nets.data.digits

    def fewer(split="train", images=False):
        X, y = digits(split, images=images)
        return X[:100] if split == "train" else X[:60], y[:100] if split == "train" else y[:60]

    monkeypatch.setattr(commands.data, "digits", fewer)


@pytest.mark.slow
def test_train_a_cnn_saves_it_and_plots_its_filters(tmp_path, capsys, few_digits):
    model_path, plots = tmp_path / "cnn.json", tmp_path / "plots"
    status = main(["train", "--data", "digits", "--model", "cnn", "--channels", "4", "--optimizer", "adam", "--lr", "0.03",
                   "--final-lr", "0.001", "--epochs", "2", "--batch-size", "16", "--save", str(model_path),
                   "--plots", str(plots), "--quiet"])
    out = capsys.readouterr().out
    assert status == 0 and "test accuracy" in out and "Conv2d(1, 4, kernel_size=3" in out
    model = nets.load(model_path)
    assert isinstance(model, Sequential) and isinstance(model[0], Conv2d) and isinstance(model[1], MaxPool2d)
    assert model.num_parameters() == 4 * (9 + 1) + (4 * 3 * 3 + 1) * 10  # 4 maps of 6x6, pooled to 3x3
    for name in ("loss_curve.png", "filters.png", "gradient_norms.png"):
        assert (plots / name).stat().st_size > 1000


def test_hidden_layers_activation_and_dropout_follow_the_flags(tmp_path, few_digits, capsys):
    path = tmp_path / "cnn.json"
    assert main(["train", "--data", "digits", "--model", "cnn", "--hidden", "12", "--activation", "tanh",
                 "--dropout", "0.1", "--epochs", "1", "--save", str(path), "--quiet"]) == 0
    kinds = [type(m) for m in nets.load(path)]
    assert kinds == [Conv2d, MaxPool2d, Tanh, nets.Flatten, Dropout, Linear, Tanh, Dropout, Linear]
