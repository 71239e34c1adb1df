"""Datasets and the mini-batch iterator."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nets import data

TWO_D = [data.moons, data.circles, data.spiral, data.blobs]


@pytest.mark.parametrize("make", TWO_D)
def test_2d_datasets_are_reproducible_labelled_and_shaped(make):
    X, y = make(n=90, seed=3)
    assert X.shape == (90, 2) and X.dtype == float
    assert y.shape == (90,) and y.dtype.kind == "i" and y.min() == 0
    X2, y2 = make(n=90, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, make(n=90, seed=4)[0])


def test_two_class_datasets_use_labels_0_and_1_and_spiral_has_its_classes():
    assert set(data.moons()[1]) == {0, 1} and set(data.circles()[1]) == {0, 1}
    assert set(data.spiral(n=60, classes=4)[1]) == {0, 1, 2, 3}
    assert np.bincount(data.spiral(n=300)[1]).tolist() == [100, 100, 100]


def test_xor_is_the_truth_table():
    X, y = data.xor()
    assert [(int(a) ^ int(b)) for a, b in X] == y.tolist()


def test_digits_are_scaled_with_a_fixed_disjoint_split():
    X_train, y_train = data.digits("train")
    X_test, y_test = data.digits("test")
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert set(y_test) == set(range(10))
    assert np.array_equal(X_test, data.digits("test")[0])
    train_rows = {row.tobytes() for row in X_train}
    assert sum(row.tobytes() in train_rows for row in X_test) < 5  # the dataset itself has a few duplicates


def test_digits_as_images_are_the_same_pixels_row_by_row():
    images, labels = data.digits("test", images=True)
    X, y = data.digits("test")
    assert images.shape == (450, 1, 8, 8) and np.array_equal(images.reshape(450, 64), X) and np.array_equal(labels, y)
    assert images[0, 0, 1, 0] == X[0, 8]  # row 1, column 0 is pixel 8


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 60), st.integers(1, 70), st.integers(0, 2**32 - 1))
def test_batches_cover_every_point_once_in_batches_of_the_size(n, size, seed):
    X, y = np.arange(2 * n, dtype=float).reshape(n, 2), np.arange(n)
    chunks = list(data.batches(X, y, size, seed=seed))
    assert [len(b) for _, b in chunks[:-1]] == [size] * (len(chunks) - 1) and 0 < len(chunks[-1][1]) <= size
    seen = np.concatenate([b for _, b in chunks])
    assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in chunks:  # rows stay with their labels
        assert np.array_equal(xb[:, 0], 2 * yb)


def test_shuffling_is_seeded_and_full_batch_is_the_default():
    X, y = np.zeros((50, 2)), np.arange(50)
    order = lambda seed: np.concatenate([b for _, b in data.batches(X, y, 8, seed=seed)]).tolist()  # noqa: E731
    assert order(1) == order(1) != order(2)
    assert [b.tolist() for _, b in data.batches(X, y, shuffle=False)] == [list(range(50))]


@pytest.mark.parametrize(("call", "match"), [
    (lambda: data.moons(n=1), "n must be an integer >= 2, got 1"),
    (lambda: data.blobs(centers=1), "blobs: centers must be an integer >= 2, got 1"),
    (lambda: data.moons(noise=-0.1), "noise must be a non-negative number"),
    (lambda: data.spiral(classes=1), "classes must be an integer >= 2"),
    (lambda: data.circles(factor=1.5), "factor"),
    (lambda: data.digits("validation"), "split must be 'train' or 'test'"),
    (lambda: list(data.batches(np.zeros((3, 2)), np.zeros(2))), "X has 3 rows but y has 2"),
    (lambda: list(data.batches(np.zeros((3, 2)), np.zeros(3), 0)), "batch_size must be a positive integer"),
])
def test_bad_arguments_are_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_blobs_of_another_seed_are_held_out_points_of_the_same_problem():
    X, y = data.blobs(n=300, seed=0)
    X_test, y_test = data.blobs(n=300, seed=1)
    assert not np.array_equal(X, X_test)
    for c in range(3):  # the same centres: each class's mean moves by much less than the spread
        assert np.linalg.norm(X[y == c].mean(axis=0) - X_test[y_test == c].mean(axis=0)) < 0.5
