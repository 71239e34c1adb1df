"""The gradient checker itself: it passes right derivatives and catches wrong ones."""

import math
import re
import unicodedata

import pytest

from autograd import Value, gradcheck, gradcheck_leaves
from autograd.gradcheck import GradcheckResult
from autograd.i18n import language
from autograd.value import _node


def test_catches_a_wrong_gradient():
    result = gradcheck(lambda x: x * x.data, [3.0])  # backward sees 3, the slope is 6
    assert not result
    (row,) = result.rows
    assert row.analytic == 3.0
    assert row.numeric == pytest.approx(6.0)
    assert "MISMATCH" in str(result)


def wrong_sin(self):  # claims d sin(x)/dx = sin(x)
    return _node(math.sin(self.data), "sin", (self,), (math.sin(self.data),))


def test_catches_a_wrong_derivative_in_the_engine(monkeypatch):
    assert gradcheck(lambda x: x.sin() * x, [0.7])
    monkeypatch.setattr(Value, "sin", wrong_sin)
    assert not gradcheck(lambda x: x.sin() * x, [0.7])


def test_passes_and_reports_a_table():
    result = gradcheck(lambda x, y: (x * y).tanh() + y.exp(), [0.3, -0.4])
    assert result
    text = str(result)
    assert text.splitlines()[0].split() == ["input", "analytic", "numeric", "abs", "error"]
    assert [line.split()[0] for line in text.splitlines()[1:3]] == ["x", "y"]  # f's own argument names
    assert "all gradients agree" in text and "MISMATCH" not in text


def test_rows_are_named_after_the_function_s_arguments():
    def neuron(x1, x2, w1, w2, b):
        return (x1 * w1 + x2 * w2 + b).tanh()

    rows = gradcheck(neuron, [2.0, 0.0, -3.0, 1.0, 6.88]).rows
    assert [row.name for row in rows] == ["x1", "x2", "w1", "w2", "b"]
    rows = gradcheck(lambda *xs: xs[0] * xs[1], [2.0, 3.0]).rows  # no names to use: counted from 1
    assert [row.name for row in rows] == ["x1", "x2"]


def test_truthy_only_when_every_input_agrees():
    result = gradcheck(lambda x, y: x * y + y * y.data, [1.0, 2.0])
    assert not result
    assert [row.ok for row in result.rows] == [True, False]
    assert "1 of 2 gradients disagree" in str(result)


def test_tolerance_is_atol_plus_rtol_times_numeric():
    # analytic 3.0 against numeric 3.003: inside rtol=1e-3 (0.003003), outside rtol=1e-4
    f = lambda x: x * 3 + x.data * 0.003  # noqa: E731
    assert gradcheck(f, [1.0], rtol=1e-3)
    assert not gradcheck(f, [1.0], rtol=1e-4)


def test_check_existing_leaves_against_a_function_of_them():
    w, b = Value(0.5, "w"), Value(-0.2, "b")
    w.grad, b.grad = 7.0, 8.0  # grads already there are left as they were
    result = gradcheck_leaves(lambda: (w * 3 + b).tanh(), [w, b])
    assert result and [row.name for row in result.rows] == ["w", "b"]
    assert (w.data, b.data, w.grad, b.grad) == (0.5, -0.2, 7.0, 8.0)
    assert not gradcheck_leaves(lambda: w * w.data + b, [w, b])


def test_check_existing_leaves_leaves_every_grad_of_the_graph_alone():
    a, b = Value(2.0), Value(3.0)
    product = gradcheck_leaves(lambda: a * b, [a])
    assert product and (a.grad, b.grad) == (0.0, 0.0)


def test_check_existing_leaves_refuses_non_leaves():
    x = Value(1.0)
    with pytest.raises(ValueError, match="must be a leaf"):
        gradcheck_leaves(lambda: x * 2, [x * 2])


def test_f_must_return_a_value():
    with pytest.raises(TypeError, match="gradcheck: f must return a Value, got float"):
        gradcheck(lambda x: x.data, [1.0])


def test_inputs_must_be_numbers():
    with pytest.raises(TypeError, match="gradcheck: each input must be a real number, got str"):
        gradcheck(lambda x: x, ["1"])


# ---- the report speaks the language in force (the zh notebooks' first cell is nets.set_language("zh")) ----

def _report() -> GradcheckResult:
    # eps = 0.5 makes the central differences of these polynomials exact: the numbers are pinned
    return gradcheck(lambda x, w: x * w + w * w.data, [2.0, -3.0], eps=0.5)  # w's rule drops a w: 1 of 2 wrong


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_the_english_report_is_unchanged_byte_for_byte():
    assert str(_report()) == (
        "input            analytic        numeric  abs error\n"
        "x                      -3             -3   0.00e+00\n"
        "w                      -1             -4   3.00e+00  <-- MISMATCH\n"
        "1 of 2 gradients disagree (|analytic - numeric| <= 1e-05 + 0.001 * |numeric|)")


def test_the_chinese_report_has_no_english_word_outside_names_and_numbers():
    result, agreeing = _report(), gradcheck(lambda x: x * x, [0.5])
    english = str(result)
    with language("zh"):
        chinese, agreed = str(result), str(agreeing)
    assert str(result) == english  # the language is the one in force when it is shown
    lines, english_lines = chinese.splitlines(), english.splitlines()
    assert lines[0].split() == ["输入", "解析梯度", "数值梯度", "绝对误差"]
    assert _columns(lines[0]) == len(english_lines[0])  # the headings stay over their columns
    assert lines[1] == english_lines[1] and lines[2] == english_lines[2].replace("MISMATCH", "不一致")
    assert lines[3] == "2 个梯度中有 1 个不一致（|解析梯度 - 数值梯度| <= 1e-05 + 0.001 * |数值梯度|）"
    assert agreed.splitlines()[-1].startswith("全部梯度一致（")
    names = {row.name for row in (*result.rows, *agreeing.rows)}
    for token in (chinese + "\n" + agreed).split():
        if token in names or re.fullmatch(r"[-+]?[\d.]+(e[-+]\d+)?", token):
            continue
        assert not re.search(r"[A-Za-z]", token), f"English in the Chinese report: {token!r}\n{chinese}\n{agreed}"


def test_gradcheck_s_errors_are_shown_in_the_language_in_force():
    x = Value(1.0)
    with pytest.raises(TypeError) as returned:
        gradcheck(lambda x: x.data, [1.0])
    with pytest.raises(ValueError) as not_a_leaf:
        gradcheck_leaves(lambda: x * 2, [x * 2])
    with language("zh"):
        assert str(returned.value) == "gradcheck：f 必须返回一个 Value，得到的是 float"
        assert str(not_a_leaf.value) == "gradcheck_leaves：每个被检验的 Value 都必须是叶节点（不由任何运算算出）"
    assert str(returned.value) == "gradcheck: f must return a Value, got float"
