"""requires_grad_: frozen modules are left unchanged by optimisers and fit; the rest trains."""

import pytest

import nets
from nets import MLP, Layer, data, fit, optim


def _frozen_first_layer(seed=0):
    model = MLP(4, [6, 5, 3], activation="relu", seed=seed)
    model.layers[0].requires_grad_(False)
    return model


@pytest.mark.parametrize("make", [
    lambda params: optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda params: optim.Adam(params, lr=0.05, weight_decay=0.1),
])
def test_a_frozen_layer_is_bit_for_bit_unchanged_by_fit_and_the_head_changes(make):
    model = _frozen_first_layer()
    X, y = data.blobs(n=40, centers=3, seed=0)
    X = [list(row) * 2 for row in X]
    before = model.state_dict()
    fit(model, X, y, loss="cross_entropy", optimizer=make(model.parameters()), epochs=3, batch_size=8, progress=False, seed=0)
    after = model.state_dict()
    frozen = [name for name in before if name.startswith("layers.0.")]
    assert frozen and all(after[name] == before[name] for name in frozen)
    assert all(after[name] != before[name] for name in before if name.startswith("layers.2.") and name.endswith("w1"))


def test_gradients_still_flow_through_a_frozen_layer_to_the_layers_below():
    model = MLP(2, [3, 3, 1], activation="tanh", seed=0)
    model.layers[1].requires_grad_(False)
    sgd = optim.SGD(model.parameters(), lr=0.5)
    first = [p.data for p in model.layers[0].parameters()]
    model([0.5, -1.0]).backward()
    sgd.step()
    assert [p.data for p in model.layers[0].parameters()] != first


def test_unfreezing_restores_training_and_requires_grad_returns_the_module():
    model = MLP(2, [3, 1], seed=0)
    assert model.requires_grad_(False) is model
    assert not any(m.requires_grad for m in model.modules())
    model.requires_grad_(True)
    sgd = optim.SGD(model.parameters(), lr=1.0)
    model([1.0, 1.0]).backward()
    before = model.state_dict()
    sgd.step()
    assert all(model.state_dict()[name] != before[name] for name in before if name.endswith(".b"))


def test_max_norm_leaves_frozen_neurons_alone():
    layer = Layer(3, 2, seed=0)
    for p in layer.parameters():
        p.data = 10.0
    layer.neurons[0].requires_grad_(False)
    optim.max_norm_constraint(layer, 1.0)
    assert [w.data for w in layer.neurons[0].w] == [10.0] * 3
    assert sum(w.data ** 2 for w in layer.neurons[1].w) == pytest.approx(1.0)


def test_requires_grad_wants_a_bool():
    with pytest.raises(TypeError, match="expected True or False, got 0"):
        MLP(2, [1]).requires_grad_(0)


def test_a_model_freed_after_freezing_leaves_nothing_frozen_behind():
    import gc

    model = _frozen_first_layer()
    del model
    gc.collect()
    assert not nets.module.frozen_parameters()


def test_a_copy_of_a_frozen_model_is_frozen_too():
    import copy
    import pickle

    for clone in (copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))):
        model = clone(_frozen_first_layer())
        before = model.state_dict()
        sgd = optim.SGD(model.parameters(), lr=0.1, weight_decay=0.5)
        sgd.step()
        assert all(model.state_dict()[n] == before[n] for n in before if n.startswith("layers.0."))
        assert not model.layers[0].requires_grad
