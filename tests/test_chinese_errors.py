"""The errors a learner meets from Python in a Chinese notebook (after `nets.set_language("zh")`):
the argument checks of fit/evaluate, the data generators, the layers, the optimisers, the
losses and `autograd.compile` are `Message`s, so each is one Chinese line naming the
operation and the offending value when shown under zh, and the English of before otherwise."""

from __future__ import annotations

import re
from typing import Callable

import numpy as np
import pytest

import autograd
from autograd import Value
from autograd.i18n import language
from nets import data, datasets, losses, optim
from nets.callbacks import EarlyStopping
from nets.conv import Conv2d
from nets.dense import MLP, Layer, Neuron
from nets.diagram import draw_network
from nets.layers import Dropout
from nets.normalization import BatchNorm1d
from nets.plot import decision_boundary, predictions
from nets.recurrent import RNNCell
from nets.sequential import Sequential
from nets.training import evaluate, fit, predict
from test_chinese_cli import english_phrase

MODEL = MLP(2, [1], seed=0)
W = Value(2.0)
X2, Y2 = [[0.0, 1.0], [1.0, 0.0]], [0, 1]
TRAINING = {"loss": "mse", "optimizer": optim.SGD(MODEL.parameters(), lr=0.1), "progress": False}

# what raises, what the Chinese must say, the English it says (as before): one or more per module
ERRORS: list[tuple[str, Callable[[], object], str, str]] = [
    ("fit epochs", lambda: fit(MODEL, X2, Y2, epochs=0, **TRAINING), "fit：epochs 必须是正整数，得到的是 0",
     "fit: epochs must be a positive integer, got 0"),
    ("fit rows", lambda: fit(MODEL, X2, [0], epochs=1, **TRAINING), "fit：X 有 2 行，y 有 1 个目标值",
     "fit: X has 2 rows and y 1 targets; they must match and be non-empty"),
    ("fit batch_size", lambda: fit(MODEL, X2, Y2, epochs=1, batch_size=0, **TRAINING), "batch_size 必须是正整数或 None",
     "fit: batch_size must be a positive integer or None, got 0"),
    ("fit X not numbers", lambda: fit(MODEL, [["a", "b"]], [0], epochs=1, **TRAINING), "fit: X 必须是实数",
     "fit: X must hold real numbers (float, int or bool), got an array of <U1"),
    ("evaluate rows", lambda: evaluate(MODEL, X2, [0, 1, 1], loss="mse"), "evaluate：X 有 2 行，y 有 3 个目标值",
     "evaluate: X has 2 rows and y 3 targets; they must match and be non-empty"),
    ("predict 1-D", lambda: predict(MODEL, [0.5, 1.0]), "predict：X 必须至少是二维的（每个样本一行输入），得到的形状是 (2,)",
     "predict: X must be 2-D or more (one row of inputs per example), got shape (2,); "
     "for one input per example use X.reshape(-1, 1)"),
    ("moons n", lambda: data.moons(1), "moons：n 必须是 >= 2 的整数，得到的是 1", "moons: n must be an integer >= 2, got 1"),
    ("circles factor", lambda: data.circles(10, factor=2), "circles：factor（内半径 / 外半径）必须在 (0, 1) 之间，得到的是 2",
     "circles: factor (inner radius / outer radius) must be in (0, 1), got 2"),
    ("augment NaN", lambda: data.augment(np.full((2, 3, 3), np.nan), seed=0), "第 0 张图像在第 0 行、第 0 列是 nan",
     "augment: images must be finite numbers; image 0 has nan at row 0, column 0"),
    ("unknown data set", lambda: datasets.load("moon"), "data：未知的数据集 'moon'；请从",
     "data: unknown data set 'moon'; choose one of " + ", ".join(datasets.DATASETS)),
    ("Neuron inputs", lambda: Neuron(3, seed=0)([1.0, 2.0]), "Neuron：需要 3 个输入，得到的是 2 个",
     "Neuron: expected 3 inputs, got 2"),
    ("Layer size", lambda: Layer(2, 0), "Layer：nout 必须是正整数，得到的是 0", "Layer: nout must be a positive integer, got 0"),
    ("MLP layer size", lambda: MLP(2, [4, -1]), "MLP：每一层的大小 必须是正整数，得到的是 -1",
     "MLP: each layer size must be a positive integer, got -1"),
    ("Conv2d kernel", lambda: Conv2d(1, 1, 5, seed=0)([[[0.0] * 3] * 3]), "Conv2d：kernel_size 5 大于填充后的输入（3 x 3，padding 为 0：3 x 3）",
     "Conv2d: kernel_size 5 is larger than the padded input (3 x 3 with padding 0: 3 x 3)"),
    ("Conv2d not an image", lambda: Conv2d(1, 1, 2, seed=0)(np.zeros(4)), "需要一张按 [channel][row][column] 排列的图像",
     "Conv2d: expected one image as [channel][row][column] (shape (C, H, W)), got an array of shape (4,)"),
    ("RNNCell inputs", lambda: RNNCell(2, 3, seed=0)([1.0], [0.0] * 3), "RNNCell：需要 2 个输入和长度为 3 的隐藏状态",
     "RNNCell: expected 2 inputs and a state of 3, got 1 inputs and a state of 3"),
    ("SGD lr", lambda: optim.SGD(MODEL.parameters(), lr=-0.1), "SGD：lr 必须是非负数，得到的是 -0.1",
     "SGD: lr must be a non-negative number, got -0.1"),
    ("SGD momentum", lambda: optim.SGD(MODEL.parameters(), lr=0.1, momentum=1.5), "SGD：momentum 必须在 [0, 1) 之间，得到的是 1.5",
     "SGD: momentum must be in [0, 1), got 1.5"),
    ("Adam params", lambda: optim.Adam([], lr=0.1), "Adam：params 是空的；请传入 model.parameters()",
     "Adam: params is empty; pass model.parameters()"),
    ("cross_entropy target", lambda: losses.cross_entropy([Value(1.0), Value(2.0)], 5), "cross_entropy：目标值必须是类别索引（0..1），得到的是 5",
     "cross_entropy: target must be a class index in 0..1, got 5"),
    ("mse lengths", lambda: losses.mse([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0]), "mse：有 2 个输出，却有 3 个目标值",
     "mse: 2 outputs but 3 targets"),
    ("unknown loss", lambda: losses.resolve("mae"), "loss：未知的损失函数 'mae'", None),
    ("unknown activation", lambda: MLP(2, [1], activation="relu6"), "activation：未知的激活函数 'relu6'；请从", None),
    ("Dropout p", lambda: Dropout(1.0), "Dropout：p 必须是 [0, 1) 中的概率，得到的是 1.0", "Dropout: p must be a probability in [0, 1), got 1.0"),
    ("BatchNorm1d features", lambda: BatchNorm1d(3).eval()([1.0, 2.0]), "BatchNorm1d：需要 3 个特征，得到的是 2 个",
     "BatchNorm1d: expected 3 features, got 2"),
    ("Sequential module", lambda: Sequential(MODEL, "relu"), "Sequential：第 1 个模块必须是 Module，得到的是 str 'relu'",
     "Sequential: module 1 must be a Module, got str 'relu'"),
    ("EarlyStopping patience", lambda: EarlyStopping(patience=0), "EarlyStopping：patience 必须是正整数，得到的是 0",
     "EarlyStopping: patience must be a positive integer, got 0"),
    ("load_state_dict", lambda: MODEL.load_state_dict({}), "load_state_dict：参数与 MLP 不匹配（需要 3 个）：缺少 ",
     "load_state_dict: parameters do not match MLP (3 expected): missing 'layers.0.neurons.0.w1', "
     "'layers.0.neurons.0.w2', 'layers.0.neurons.0.b', unexpected none"),
    ("compiled Dropout", lambda: fit(Sequential(Dropout(0.5), MLP(2, [1], seed=0)), X2, Y2, epochs=1, compiled=True, **TRAINING),
     "编译训练：Dropout(p=0.5) 在训练模式下会为每个样本抽取新的随机掩码，按样本只追踪一次的磁带无法重放它；请用 compiled=False 训练",
     "compiled training: Dropout(p=0.5) in training mode draws a new random mask for every example, which a tape traced "
     "once per example cannot replay; train with compiled=False"),
    ("Value compared", lambda: Value(1.0) < "2", "<：无法把 Value 与 str '2' 比较", "<: cannot compare a Value with str '2'"),
    ("Stepper max_nodes", lambda: autograd.Stepper(Value(1.0) * 2, max_nodes=0), "Stepper：max_nodes 必须是正整数，得到的是 0",
     "Stepper: max_nodes must be a positive int, got 0"),
    ("decision_boundary", lambda: decision_boundary(MODEL, [[0.0, 1.0, 2.0]], [0]),
     "decision_boundary：X 必须有 2 列（二维数据集），得到的形状是 (1, 3)",
     "decision_boundary: X must have 2 columns (a 2-D dataset), got shape (1, 3)"),
    ("predictions shapes", lambda: predictions([1.0, 2.0], [1.0, 2.0, 3.0]), "predictions：模型的形状是 (3,)，而目标值的形状是 (2,)",
     "predictions: model has shape (3,) but the targets (2,)"),
    ("draw_network", lambda: draw_network([3]), "draw_network：需要一个 MLP，或至少两个正的层大小，得到的是 [3]",
     "draw_network: needs an MLP or at least two positive layer sizes, got [3]"),
    ("compile params", lambda: autograd.compile(lambda x: x * W, [W, W], [[1.0]]),
     "compile：params 必须是互不相同的 Value（model.parameters()）", "compile: params must be distinct Values (model.parameters())"),
    ("compile branches", lambda: autograd.compile(lambda x: x * W if x.data > 0 else x + W, [W], [1.0, -1.0]),
     "compile：计算图依赖于数据（节点 2 在样本 0 中是作用于节点 [0, 1] 的运算 '*'，在样本 1 中却是作用于节点 [0, 1] 的运算 '+'）",
     "compile: the graph depends on the data (node 2 is op '*' of nodes [0, 1] for example 0 but op '+' of nodes [0, 1] "
     "for example 1): fn branches on .data, takes a constant from it, or draws random numbers (Dropout in training mode), "
     "so a tape traced once cannot replay it. Choose with Value ops (relu, max, clamp) instead, or pass the number as an input"),
    ("Value label", lambda: Value(1.0, label=3), "Value：label 必须是 str，得到的是 int 3", "Value: label must be a str, got int 3"),
]


def raised(make: Callable[[], object]) -> Exception:
    with pytest.raises((ValueError, TypeError)) as error:
        make()
    return error.value


@pytest.mark.parametrize("name, make, chinese, english", ERRORS, ids=[e[0] for e in ERRORS])
def test_under_zh_each_error_is_one_chinese_line_naming_the_value(name, make, chinese, english):
    error = raised(make)
    with language("zh"):
        shown = str(error)
    assert chinese in shown and "\n" not in shown, shown
    assert english_phrase(shown) is None, shown
    assert re.search(r"[\u4e00-\u9fff]", shown), shown


@pytest.mark.parametrize("name, make, chinese, english", ERRORS, ids=[e[0] for e in ERRORS])
def test_in_english_each_error_is_as_it_was(name, make, chinese, english):
    error = raised(make)
    with language("en"):
        shown = str(error)
    assert error.args[0] == shown and not re.search(r"[\u4e00-\u9fff]", shown), shown
    if english is not None:
        assert shown == english


def test_raised_under_zh_the_error_is_still_english_underneath():
    with language("zh"):
        error = raised(lambda: fit(MODEL, X2, Y2, epochs=0, **TRAINING))
        assert str(error) == "fit：epochs 必须是正整数，得到的是 0"
    assert error.args[0] == "fit: epochs must be a positive integer, got 0" and isinstance(error.args[0], autograd.value.Message)
