"""data.augment: same shape, same order (so the same labels), reproducible by seed."""

import numpy as np
import pytest

from nets import data

X, y = data.digits("train")
IMAGES = X[:50]


def test_augmented_images_keep_their_shape_and_range_and_the_seed_fixes_them():
    a = data.augment(IMAGES, seed=3, shift=1.0, rotate=15.0, noise=0.05)
    assert a.shape == IMAGES.shape and a.min() >= 0.0 and a.max() <= 1.0
    assert np.array_equal(a, data.augment(IMAGES, seed=3, shift=1.0, rotate=15.0, noise=0.05))
    assert not np.array_equal(a, data.augment(IMAGES, seed=4, shift=1.0, rotate=15.0, noise=0.05))
    square = data.augment(IMAGES.reshape(-1, 8, 8), seed=3, shift=1.0, rotate=15.0, noise=0.05)
    assert np.array_equal(square.reshape(IMAGES.shape), a)


def test_small_changes_keep_the_digit_readable_so_the_labels_still_apply():
    """A nearest-neighbour reader trained on the originals still reads augmented test images right."""
    from sklearn.neighbors import KNeighborsClassifier

    X_test, y_test = data.digits("test")
    reader = KNeighborsClassifier(1).fit(X, y)
    small = data.augment(X_test, seed=0, shift=0.5, rotate=10.0, noise=0.05)
    assert reader.score(small, y_test) >= 0.9 and not np.allclose(small, X_test)
    assert reader.score(data.augment(X_test, seed=0, shift=3.0), y_test) < 0.5  # the check can fail


def test_no_change_asked_gives_the_images_back():
    assert np.array_equal(data.augment(IMAGES, seed=0), IMAGES)


def test_a_shift_moves_a_ramp_by_at_most_shift_pixels():
    """Bilinear reading is exact on a ramp: inside the picture, a shift subtracts a constant."""
    ramp = np.tile(np.arange(10.0), (10, 1))[None] + 5.0  # pixel value = 5 + column
    moved = data.augment(ramp, seed=1, shift=0.8)[0][2:-2, 2:-2] - ramp[0][2:-2, 2:-2]
    assert np.allclose(moved, moved[0, 0]) and 0 < abs(moved[0, 0]) <= 0.8


def test_a_turn_keeps_the_centre_of_an_odd_picture_and_tilts_a_ramp():
    ramp = np.tile(np.arange(9.0), (9, 1))[None] + 5.0
    turned = data.augment(ramp, seed=2, rotate=20.0)[0]
    assert turned[4, 4] == pytest.approx(ramp[0, 4, 4], abs=1e-12)
    steps = np.diff(turned[2:-2, 4])  # down a column the ramp is flat until turned; then sin(angle) per row
    assert np.allclose(steps, steps[0]) and 0 < abs(steps[0]) <= np.sin(np.deg2rad(20.0))


def test_channels_first_images_for_a_cnn_are_augmented_as_their_pixel_rows():
    """(n, channels, height, width), as digits(images=True) gives: each channel moved as its image."""
    images, _ = data.digits("train", images=True)
    options = {"seed": 3, "shift": 1.0, "rotate": 15.0}
    augmented = data.augment(images[:50], **options)
    assert augmented.shape == (50, 1, 8, 8)
    assert np.array_equal(augmented.reshape(50, 64), data.augment(IMAGES, **options))
    two = np.concatenate([images[:50], 1 - images[:50]], axis=1)  # a second channel: the negative
    both = data.augment(two, **options)
    assert both.shape == (50, 2, 8, 8) and np.array_equal(both[:, :1], augmented)
    moved_alike = data.augment(two[:, 1:], **options)  # the same turn and shift as channel 0 got
    assert np.allclose(both[:, 1:], moved_alike)


@pytest.mark.parametrize("kwargs, match", [
    ({"images": np.zeros((2, 5))}, "square image"),
    ({"images": IMAGES, "shift": -1}, "shift must be a non-negative number"),
    ({"images": IMAGES, "noise": float("nan")}, "noise must be a non-negative number"),
])
def test_bad_arguments_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.augment(**kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_pixel_that_is_not_finite_is_refused_naming_the_image_and_place(bad):
    images = np.zeros((3, 8, 8))
    images[1, 2, 5] = bad  # once it spread through the interpolation and the clip to every image
    with pytest.raises(ValueError, match=f"augment: images must be finite numbers; image 1 has {bad} at row 2, column 5"):
        data.augment(images, seed=0, shift=1, rotate=10, noise=0.1)


def test_no_images_give_no_images():
    assert data.augment(np.zeros((0, 64)), seed=0, shift=1).shape == (0, 64)
