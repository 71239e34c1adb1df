"""Conv2d, MaxPool2d, AvgPool2d: outputs against a SciPy reference, shapes, gradients, errors."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d

import autograd
import nets
from autograd import Value, gradcheck, gradcheck_leaves
from nets import AvgPool2d, Conv2d, Flatten, MaxPool2d
from nets.conv import output_size


def _numbers(maps):
    return np.array([[[v.data for v in row] for row in channel] for channel in maps])


def _reference_conv(image, conv):
    """Cross-correlation of the zero-padded image with each filter, every `stride`-th position, plus the bias."""
    weight = np.array([[[[w.data for w in row] for row in channel] for channel in filt] for filt in conv.weight])
    p, s = conv.padding, conv.stride
    padded = np.pad(image, ((0, 0), (p, p), (p, p)))
    return np.array([
        sum(correlate2d(padded[c], weight[o, c], mode="valid") for c in range(image.shape[0]))[::s, ::s] + conv.bias[o].data
        for o in range(conv.out_channels)
    ])


@st.composite
def geometries(draw):
    kernel = draw(st.integers(1, 4))
    padding = draw(st.integers(0, min(2, kernel - 1)))  # a window beyond would see only zeros: refused
    smallest = max(1, kernel - 2 * padding)
    return dict(
        in_channels=draw(st.integers(1, 3)), out_channels=draw(st.integers(1, 3)), kernel_size=kernel,
        stride=draw(st.integers(1, 3)), padding=padding,
        height=draw(st.integers(smallest, 7)), width=draw(st.integers(smallest, 7)), seed=draw(st.integers(0, 10**6)),
    )


@settings(max_examples=60, deadline=None)
@given(geometries())
def test_conv2d_equals_scipy_cross_correlation(g):
    rng = np.random.default_rng(g["seed"])
    conv = Conv2d(g["in_channels"], g["out_channels"], g["kernel_size"], g["stride"], g["padding"], seed=g["seed"])
    for b in conv.bias:
        b.data = rng.normal()
    image = rng.normal(size=(g["in_channels"], g["height"], g["width"]))
    out = _numbers(conv(image))
    h_out = (g["height"] + 2 * g["padding"] - g["kernel_size"]) // g["stride"] + 1
    w_out = (g["width"] + 2 * g["padding"] - g["kernel_size"]) // g["stride"] + 1
    assert out.shape == (g["out_channels"], h_out, w_out)
    np.testing.assert_allclose(out, _reference_conv(image, conv), rtol=1e-12, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(geometries())
def test_fused_and_unfused_convolutions_agree_on_values_and_gradients(g):
    args = (g["in_channels"], g["out_channels"], g["kernel_size"], g["stride"], g["padding"])
    fused, unfused = Conv2d(*args, seed=g["seed"]), Conv2d(*args, seed=g["seed"], fused=False)
    image = np.random.default_rng(g["seed"]).normal(size=(g["in_channels"], g["height"], g["width"]))
    for conv in (fused, unfused):
        autograd.sum(v * (i + 1) for i, v in enumerate(Flatten()(conv(image)))).backward()
    np.testing.assert_allclose(_numbers(unfused(image)), _numbers(fused(image)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose([p.grad for p in unfused.parameters()], [p.grad for p in fused.parameters()], rtol=1e-12, atol=1e-12)


def test_an_edge_detector_by_hand():
    conv = Conv2d(1, 1, 2, seed=0)
    conv.load_state_dict({"weight.0.0.0.0": -1, "weight.0.0.0.1": 1, "weight.0.0.1.0": -1, "weight.0.0.1.1": 1, "bias.0": 0})
    image = [[[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]]]  # dark left half, bright right half
    assert _numbers(conv(image)).tolist() == [[[0, 2, 0], [0, 2, 0]]]  # fires only on the vertical edge


@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (8, 3, 1, 1, 8), (8, 3, 1, 0, 6), (8, 2, 2, 0, 4), (7, 3, 2, 1, 4), (32, 5, 1, 0, 28), (5, 5, 1, 0, 1),
])
def test_output_size_formula(size, kernel, stride, padding, expected):
    assert output_size(size, kernel, stride, padding) == expected
    out = Conv2d(1, 2, kernel, stride, padding, seed=0)(np.zeros((1, size, size)))
    assert (len(out), len(out[0]), len(out[0][0])) == (2, expected, expected)


def _image_function(module, shape, seed=0):
    """f(*pixels) = a fixed random weighting of module(image), summed: a scalar to gradcheck."""
    weights = np.random.default_rng(seed).normal(size=1000).tolist()

    def f(*pixels):
        c, h, w = shape
        image = [[list(pixels[(k * h + r) * w : (k * h + r + 1) * w]) for r in range(h)] for k in range(c)]
        return autograd.sum(v * a for v, a in zip(Flatten()(module(image)), weights))

    return f


@pytest.mark.parametrize("module", [
    Conv2d(2, 3, 3, stride=2, padding=1, seed=1), Conv2d(2, 2, 2, seed=2, fused=False),
    MaxPool2d(2), MaxPool2d(3, stride=1), AvgPool2d(2), AvgPool2d(2, stride=1),
], ids=repr)
def test_gradcheck_through_convolution_and_pooling_inputs(module):
    shape = (2, 5, 6)
    pixels = np.random.default_rng(3).normal(size=np.prod(shape)).tolist()  # distinct: no ties at a max
    result = gradcheck(_image_function(module, shape), pixels)
    assert result, str(result)


def test_gradcheck_of_the_convolution_weights():
    conv = Conv2d(2, 2, 3, padding=1, seed=4)
    image = np.random.default_rng(5).normal(size=(2, 4, 4)).tolist()
    weights = np.random.default_rng(6).normal(size=32).tolist()
    result = gradcheck_leaves(lambda: autograd.sum(v * a for v, a in zip(Flatten()(conv(image)), weights)),
                              conv.parameters())
    assert result, str(result)


def test_max_pooling_sends_the_gradient_to_the_maximum_only():
    image = [[[Value(v) for v in row] for row in [[1, 5, 2, 0], [3, 4, 8, 7], [0, 1, 2, 3], [6, 2, 9, 1]]]]
    out = MaxPool2d(2)(image)
    assert _numbers(out).tolist() == [[[5, 8], [6, 9]]]
    autograd.sum(Flatten()(out)).backward()
    grads = [[v.grad for v in row] for row in image[0]]
    assert grads == [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0]]


def test_average_pooling_shares_the_gradient_equally():
    image = [[[Value(float(v)) for v in range(4 * r, 4 * r + 4)] for r in range(4)]]
    out = AvgPool2d(2)(image)
    assert _numbers(out).tolist() == [[[2.5, 4.5], [10.5, 12.5]]]
    autograd.sum(Flatten()(out)).backward()
    assert all(v.grad == 0.25 for row in image[0] for v in row)


def test_a_kernel_larger_than_the_padded_input_names_the_sizes():
    with pytest.raises(ValueError, match=r"Conv2d: kernel_size 5 is larger than the padded input \(3 x 3 with padding 0"):
        Conv2d(1, 1, 5)(np.zeros((1, 3, 3)))
    with pytest.raises(ValueError, match=r"MaxPool2d: kernel_size 3 is larger than the padded input \(2 x 4"):
        MaxPool2d(3)(np.zeros((1, 2, 4)))
    assert len(Conv2d(1, 1, 5, padding=1)(np.zeros((1, 3, 3)))[0]) == 1  # fits once padded


def test_wrong_channels_and_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="Conv2d: expected 3 input channels, got 1"):
        Conv2d(3, 1, 2)(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match=r"Conv2d: expected one image as \[channel\]\[row\]\[column\].*shape \(4, 4\)"):
        Conv2d(1, 1, 2)(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"MaxPool2d: expected one image.*got a list"):
        MaxPool2d(2)([[[1, 2], [3]]])  # ragged


@pytest.mark.parametrize("make, message", [
    (lambda: Conv2d(0, 1, 3), "in_channels must be a positive integer, got 0"),
    (lambda: Conv2d(1, 2.0, 3), "out_channels must be a positive integer, got 2.0"),
    (lambda: Conv2d(1, 1, 3, stride=0), "stride must be a positive integer, got 0"),
    (lambda: Conv2d(1, 1, 3, padding=-1), "padding must be an integer >= 0, got -1"),
    (lambda: MaxPool2d(True), "MaxPool2d: kernel_size must be a positive integer, got True"),
    (lambda: AvgPool2d(2, stride=-2), "AvgPool2d: stride must be a positive integer, got -2"),
])
def test_bad_arguments_name_themselves(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_parameters_are_named_by_position_and_shared_across_positions():
    conv = Conv2d(2, 3, 3, seed=0)
    assert conv.num_parameters() == 3 * (2 * 9 + 1)
    names = [name for name, _ in conv.named_parameters()]
    assert names[0] == "weight.0.0.0.0" and names[-1] == "bias.2" and len(set(names)) == len(names)
    out = conv(np.ones((2, 6, 6)))
    assert {p for v in Flatten()(out) for p in v.parents} <= set(conv.parameters())  # every position, the same weights


def test_same_seed_same_filters():
    assert Conv2d(1, 4, 3, seed=7).state_dict() == Conv2d(1, 4, 3, seed=7, fused=False).state_dict()
    assert Conv2d(1, 4, 3, seed=7).state_dict() != Conv2d(1, 4, 3, seed=8).state_dict()
    assert Conv2d(1, 4, 3, seed=random.Random(7)).state_dict() == Conv2d(1, 4, 3, seed=7).state_dict()


@pytest.mark.parametrize("dtype", [float, int])
def test_max_pooling_takes_a_numpy_image_of_plain_numbers(dtype):
    image = np.arange(16).reshape(1, 4, 4).astype(dtype)
    pooled = MaxPool2d(2)(image)
    assert [[v.data for v in row] for row in pooled[0]] == [[5.0, 7.0], [13.0, 15.0]]
    assert [[v.data for v in row] for row in AvgPool2d(2)(image)[0]] == [[2.5, 4.5], [10.5, 12.5]]


def test_flatten_and_activations_take_any_depth_of_nesting():
    deep: object = Value(-1.0)
    for _ in range(10_000):  # far past Python's recursion limit
        deep = [deep]
    assert [v.data for v in Flatten()(deep)] == [-1.0]
    out = nets.ReLU()(deep)
    for _ in range(10_000):
        out = out[0]
    assert out.data == 0.0
    shaped = nets.ReLU()([[Value(1.0), Value(-2.0)], [[Value(3.0)]], Value(-4.0)])
    assert [[shaped[0][0].data, shaped[0][1].data], [[shaped[1][0][0].data]], shaped[2].data] == [[1.0, 0.0], [[3.0]], 0.0]
