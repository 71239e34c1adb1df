"""fit(patience=...): stops when the validation loss stops improving, keeps the best epoch's weights."""

import pytest

from nets import MLP, data, evaluate, fit, optim


def _overfitting_run(patience):
    X, y = data.moons(n=20, noise=0.3, seed=0)
    X_val, y_val = data.moons(n=100, noise=0.3, seed=1)
    model = MLP(2, [32, 32, 1], activation="relu", seed=0)
    history = fit(model, X, y, loss="bce_with_logits", optimizer=optim.Adam(model.parameters(), lr=0.05),
                  epochs=60, validation_data=(X_val, y_val), progress=False, seed=0, patience=patience)
    return model, history, (X_val, y_val)


def test_training_stops_patience_epochs_after_the_best_and_restores_its_weights():
    model, history, validation = _overfitting_run(patience=5)
    losses = history["val_loss"]
    assert history.epochs < 60, "this run overfits: early stopping should have cut it short"
    assert history.best_epoch == 1 + losses.index(min(losses))
    assert history.epochs == history.best_epoch + 5
    assert evaluate(model, *validation, loss="bce_with_logits")[0] == pytest.approx(min(losses), rel=1e-12)


def test_without_patience_every_epoch_runs():
    X, y = data.moons(n=20, noise=0.3, seed=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, y, loss="bce_with_logits", optimizer=optim.SGD(model.parameters(), lr=10.0), epochs=8,
                  validation_data=(X, y), progress=False, seed=0)  # lr 10: worse after epoch 1; patience would stop it
    assert history.epochs == 8 and history.best_epoch is None


@pytest.mark.parametrize("kwargs, match", [
    ({"patience": 0, "validation_data": ([[0.0, 0.0]], [0])}, "patience must be a positive integer"),
    ({"patience": 3}, "pass validation_data too"),
])
def test_bad_patience_is_a_clear_error(kwargs, match):
    model = MLP(2, [1])
    with pytest.raises(ValueError, match=match):
        fit(model, [[0.0, 0.0]], [0], loss="hinge", optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=1,
            progress=False, **kwargs)
