"""Sequential and its building blocks (Linear, ReLU/Tanh/Sigmoid, Flatten): a CNN as a model like any other."""

import json

import numpy as np
import pytest

import nets
from autograd import Value, gradcheck
from nets import MLP, Conv2d, Dropout, Flatten, LeakyReLU, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Tanh


def _cnn(seed=0):
    return Sequential(Conv2d(1, 8, 3, padding=1, seed=seed), ReLU(), MaxPool2d(2), Flatten(), Linear(128, 10, seed=seed))


def test_the_issues_cnn_is_a_model():
    model = _cnn()
    assert model.num_parameters() == 8 * (9 + 1) + 10 * (128 + 1)
    out = model(np.random.default_rng(0).random((1, 8, 8)))
    assert len(out) == 10 and all(isinstance(v, Value) for v in out)
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == "0.weight.0.0.0.0" and "0.bias.7" in names and names[-1].startswith("4.")


def test_indexing_and_slicing_share_the_modules():
    model = _cnn()
    assert isinstance(model[0], Conv2d) and isinstance(model[-1], Linear) and len(model) == 5
    front = model[:3]
    assert isinstance(front, Sequential) and len(front) == 3 and front[0] is model[0]
    image = np.random.default_rng(1).random((1, 8, 8))
    maps = front(image)
    assert (len(maps), len(maps[0]), len(maps[0][0])) == (8, 4, 4)
    assert [v.data for v in model[3:](maps)] == [v.data for v in model(image)]
    assert list(model) == model.layers


def test_forward_batch_is_the_forward_pass_of_each_example():
    model, images = _cnn(), np.random.default_rng(2).random((3, 1, 8, 8))
    batch = model.forward_batch(images)
    assert [[v.data for v in out] for out in batch] == [[v.data for v in model(x)] for x in images]


def test_forward_batch_hands_the_whole_batch_to_each_module():
    norm = nets.BatchNorm1d(4)
    model = Sequential(Linear(3, 4, seed=0), norm, ReLU(), Linear(4, 2, seed=1))
    batch = [[0.5, -1.0, 2.0], [1.0, 0.0, -0.5], [-2.0, 0.3, 0.1]]
    model.train()
    outs = model.forward_batch(batch)
    assert len(outs) == 3 and all(len(out) == 2 for out in outs)
    normalised = norm.forward_batch(model[0].forward_batch(batch))  # each feature: mean 0 over the batch
    assert all(abs(sum(row[j].data for row in normalised)) < 1e-9 for j in range(4))
    with pytest.raises(ValueError, match="forward_batch"):
        model(batch[0])  # one example alone cannot be batch-normalised in training


def test_train_and_eval_reach_every_module():
    model = Sequential(Linear(4, 4), ReLU(), Dropout(0.5), Linear(4, 2))
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_activation_modules_keep_the_nesting():
    grid = [[[Value(-1.0), Value(2.0)]], [[Value(0.5), Value(-3.0)]]]
    assert [[[v.data for v in row] for row in ch] for ch in ReLU()(grid)] == [[[0.0, 2.0]], [[0.5, 0.0]]]
    assert Tanh()(Value(0.0)).data == 0.0 and Sigmoid()([Value(0.0)])[0].data == 0.5
    assert [v.data for v in LeakyReLU()([Value(-2.0), Value(3.0)])] == [-0.02, 3.0]
    assert Flatten()(grid) == [v for ch in grid for row in ch for v in row]
    assert Flatten()(np.arange(8.0).reshape(2, 2, 2)) == list(np.arange(8.0))


def test_linear_is_a_layer_without_activation():
    linear = Linear(3, 2, seed=0)
    x = [0.5, -1.0, 2.0]
    expected = [sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data for n in linear.neurons]
    assert [v.data for v in linear(x)] == pytest.approx(expected)
    assert linear.num_parameters() == 8 and repr(linear) == "Linear(3, 2)"


def test_gradcheck_through_a_small_cnn():
    model = Sequential(Conv2d(1, 2, 2, seed=3), Tanh(), MaxPool2d(2), Flatten(), Linear(2, 1, seed=3), Sigmoid())
    pixels = np.random.default_rng(4).normal(size=16).tolist()
    result = gradcheck(lambda *p: model([[list(p[r * 4 : r * 4 + 4]) for r in range(4)]])[0], pixels)
    assert result, str(result)


def test_sequential_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match="Sequential: module 1 must be a Module, got function"):
        Sequential(Linear(2, 2), lambda x: x)


def test_save_and_load_a_cnn(tmp_path):
    model = Sequential(Conv2d(1, 4, 3, stride=2, padding=1, seed=1), Tanh(), nets.AvgPool2d(2), Flatten(),
                       Linear(16, 3, seed=1), Sigmoid(), MLP(3, [2], seed=1))
    path = tmp_path / "cnn.json"
    model.save(path)
    document = json.loads(path.read_text())
    assert document["version"] == 3 and document["kind"] == "Sequential"
    loaded = nets.load(path)
    assert repr(loaded) == repr(model) and loaded.state_dict() == model.state_dict()
    image = np.random.default_rng(5).random((1, 8, 8))
    assert [v.data for v in loaded(image)] == [v.data for v in model(image)]


@pytest.mark.parametrize("module", [
    Conv2d(1, 2, 3, stride=2, padding=1, seed=0, fused=False), MaxPool2d(2), nets.AvgPool2d(3, stride=1),
    Flatten(), Linear(16, 4, seed=0), ReLU(), LeakyReLU(), Tanh(), Sigmoid(),
], ids=repr)
def test_every_new_module_saves_and_loads_on_its_own(module, tmp_path):
    path = tmp_path / "module.json"
    module.save(path)
    loaded = nets.load(path)
    assert type(loaded) is type(module) and loaded.config() == module.config() and loaded.state_dict() == module.state_dict()
    x = Conv2d(1, 1, 1, seed=1)(np.random.default_rng(2).random((1, 4, 4)))  # a 1x4x4 grid of Values
    x = Flatten()(x) if isinstance(module, Linear) else x
    assert repr(nets.Flatten()(loaded(x))) == repr(nets.Flatten()(module(x)))


def test_a_version_1_file_still_loads(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    document = {"format": "stepgrad-model", "version": 1, "kind": "MLP", "config": model.config(), "state": model.state_dict()}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document))
    assert nets.load(path).state_dict() == model.state_dict()


@pytest.mark.parametrize("config, message", [
    ({"modules": [{"kind": "Conv3d", "config": {}}]}, "unknown model kind 'Conv3d'"),
    ({"modules": "Linear"}, "a Sequential's config must list its modules"),
    ({"modules": [{"kind": "Conv2d", "config": {"in_channels": 100, "out_channels": 100, "kernel_size": 100}}]},
     "100,000,100 parameters, more than 10,000,000"),
    ({"modules": [{"kind": "Linear", "config": {"nin": 2, "nout": 2, "bogus": 1}}]}, "the architecture or weights are wrong"),
])
def test_a_bad_sequential_file_is_a_clear_error(tmp_path, config, message):
    path = tmp_path / "bad.json"
    state = {f"p{i}": 0.0 for i in range(6)}  # enough weights for the Linear(2, 2): its config is what is wrong
    path.write_text(json.dumps({"format": "stepgrad-model", "version": 2, "kind": "Sequential", "config": config, "state": state}))
    with pytest.raises(ValueError, match=message):
        nets.load(path)


@pytest.mark.slow
def test_a_cnn_learns_the_digits_as_images():
    """A short schedule with a lower bar than the benchmark's 97% (which trains 6 epochs on all 1,347 images)."""
    X, y = nets.data.digits("train", images=True)
    X_test, y_test = nets.data.digits("test", images=True)
    model = Sequential(Conv2d(1, 8, 3, padding=1, seed=0), MaxPool2d(2), ReLU(), Flatten(), Linear(128, 10, seed=0))
    adam = nets.optim.Adam(model.parameters(), lr=0.03)
    history = nets.fit(model, X[:300], y[:300], loss="cross_entropy", optimizer=adam, epochs=3, batch_size=32,
                       seed=0, progress=False, schedule=nets.optim.LinearDecay(adam, 0.001, 2))
    assert history["loss"][-1] < history["loss"][0]
    _, accuracy = nets.evaluate(model, X_test, y_test, loss="cross_entropy")
    assert accuracy >= 0.75  # 81% measured
    assert (np.array(nets.predict(model, X_test)) == y_test).mean() == accuracy
