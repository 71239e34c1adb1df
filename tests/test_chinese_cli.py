"""The command line under `--lang zh`: every kind of error a learner can cause is one Chinese
line with exit status 2 that still names the operation and the offending value, the engine's
own errors included (autograd.i18n.Message: translated when shown); in English they are as
they were; `stepgrad demo` speaks the language too."""

from __future__ import annotations

import gzip
import pickle
import re

import pytest

from autograd import Value
from autograd.i18n import language
from autograd.value import Message
from nets.cli import main

# argv, what the Chinese line must say, what the English line says: one of each kind of error
ERRORS = [
    (["explain", "x*", "x=1"], "无效的表达式 'x*'：语法错误", "invalid expression 'x*': invalid syntax"),
    (["explain", "tanh(x", "x=1"], "'(' 没有闭合", "'(' was never closed"),
    (["explain", "x*y", "x=1"], "'y' 没有值", "no value for 'y'"),
    (["explain", "log(x)", "x=-1"], "log：在 x = -1.0 处没有定义（需要 x > 0）", "log: undefined for x = -1.0 (needs x > 0)"),
    (["explain", "sqrt(x)", "x=-1"], "sqrt：在 x = -1.0 处没有定义", "sqrt: undefined for x = -1.0"),
    (["explain", "x/y", "x=1", "y=0"], "除法：1.0 / 0.0 除以零", "division: 1.0 / 0.0 divides by zero"),
    (["explain", "x**0.5", "x=-8"], "pow：负的底数 -8.0 没有实数的 0.5 次幂", "pow: a negative base -8.0 has no real power 0.5"),
    (["explain", "x**y", "x=-1", "y=2"], "pow：指数是 Value 时，底数 -1.0 必须是正数", "pow: base -1.0 must be positive"),
    (["explain", "exp(x)", "x=1000"], "exp：在 x = 1000.0 处溢出", "exp: overflow at x = 1000.0"),
    (["explain", "x*y", "x=1e200", "y=1e200"], "*：* 作用于 1e+200, 1e+200 的结果是 inf", "*: the result of * on 1e+200, 1e+200 is inf"),
    (["explain", "x", "x=abc"], "'x' 的值必须是数，得到的是 'abc'", "the value of 'x' must be a number, got 'abc'"),
    (["explain", "--network", "3-3"], "--network 必须是 2-2-2, 2-4-1 之一，得到的是 '3-3'", "--network must be one of 2-2-2, 2-4-1"),
    (["explain", "x", "x=1", "--html", "/no/such/folder/a.html"], "无法写入 '/no/such/folder/a.html'：文件夹 '/no/such/folder' 不存在",
     "cannot write '/no/such/folder/a.html': the folder '/no/such/folder' does not exist"),
    (["train", "--data", "nope"], "无效的选项：'nope'", "invalid choice: 'nope'"),
    (["train", "--epochs", "0"], "参数 --epochs：需要一个正整数，得到的是 '0'", "argument --epochs: expected a positive int, got '0'"),
    (["train", "--lr", "fast"], "参数 --lr：需要一个正数，得到的是 'fast'", "argument --lr: expected a positive float, got 'fast'"),
    (["train", "--channels", "4"], "--channels 只用于 --model cnn", "--channels is for --model cnn"),
    (["train", "--data", "mnist", "--data-dir", "/no/such/folder"], "mnist：'/no/such/folder' 中没有 train 文件",
     "mnist: no train files in '/no/such/folder'"),
]


def said(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        status = main(argv)
    except SystemExit as exit:  # argparse's errors
        status = exit.code
    out, err = capsys.readouterr()
    return status, out, err


def english_phrase(line: str) -> str | None:
    """Two English words in a row, outside the quoted values, options and the command's name."""
    text = line.split("：", 1)[-1]  # after "stepgrad explain："
    text = re.sub(r"'[^']*'|--[\w-]+( [\w.,/-]+)?|\S*[./=_]\S*", " ", text)  # values, options, files, names
    match = re.search(r"\b[A-Za-z]{2,} [A-Za-z]{2,}\b", text)
    return match and match.group()


@pytest.mark.parametrize("argv, chinese, english", ERRORS)
def test_each_kind_of_error_is_one_chinese_line_naming_the_value(argv, chinese, english, capsys):
    status, out, err = said([*argv, "--lang", "zh"], capsys)
    assert status == 2 and out == "" and err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith(f"stepgrad {argv[0]}：错误：") and chinese in err, err
    assert english_phrase(err) is None, err


@pytest.mark.parametrize("argv, chinese, english", ERRORS)
def test_in_english_the_errors_are_as_they_were(argv, chinese, english, capsys):
    status, out, err = said([*argv, "--lang", "en"], capsys)
    assert status == 2 and err.count("\n") == 1 and err.startswith(f"stepgrad {argv[0]}: error: ") and english in err, err
    assert not re.search(r"[\u4e00-\u9fff]", err)


def test_a_corrupt_data_file_is_one_chinese_line(tmp_path, capsys):
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (tmp_path / name).write_bytes(gzip.compress(b"not an IDX file"))
    status, _, err = said(["train", "--data", "mnist", "--data-dir", str(tmp_path), "--lang", "zh"], capsys)
    assert status == 2 and err.count("\n") == 1 and "文件已损坏或不完整" in err and english_phrase(err) is None, err


def test_an_engine_error_is_translated_when_it_is_shown_not_when_raised():
    with pytest.raises(ValueError) as raised:
        Value(-1.0).log()
    error = raised.value
    assert type(error) is ValueError and error.args[0] == "log: undefined for x = -1.0 (needs x > 0)"
    with language("en"):
        assert str(error) == "log: undefined for x = -1.0 (needs x > 0)"
    with language("zh"):
        assert str(error) == "log：在 x = -1.0 处没有定义（需要 x > 0）" and f"{error}" == str(error)
    copy = pickle.loads(pickle.dumps(error))
    with language("zh"):
        assert str(copy) == str(error)


def test_a_message_may_hold_a_message_and_braces_without_fields():
    inner = Message("(data {data!r})", data=2.0)
    outer = Message("backward: the grad of {node} summed over passes is not a finite number: {earlier!r} + "
                    "{grad!r} overflows the float range", node=inner, earlier=1e308, grad=1e308)
    with language("zh"):
        assert "（data 为 2.0）" in str(outer) and "不是有限的数" in str(outer)
    assert str(Message("a {brace} left alone")) == "a {brace} left alone"
    with language("zh"):
        raised_in_chinese = Message("backward: the grad of {node} summed over passes is not a finite number: "
                                    "{earlier!r} + {grad!r} overflows the float range", node=inner, earlier=1.0, grad=2.0)
    assert raised_in_chinese.startswith("backward: the grad of (data 2.0) summed")  # the str itself stays English


def test_demo_refuses_a_folder_it_cannot_make_before_training_in_chinese(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    status, out, err = said(["demo", "--out", str(tmp_path / "file" / "pictures"), "--lang", "zh"], capsys)
    assert status == 2 and out == "" and err.count("\n") == 1 and "无法把图写入" in err and "不是目录" in err, err
    assert english_phrase(err) is None, err


def test_demo_takes_the_language_switch(capsys):
    status, out, _ = said(["demo", "--help", "--lang", "zh"], capsys)
    assert status == 0 and "--lang" in out and "用法：" in out


@pytest.mark.slow
def test_demo_speaks_chinese(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--quiet", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "个参数；100 个双月点，合页损失" in out and "训练用时" in out and "测试准确率：" in out and "已写入" in out
    assert english_phrase(out.replace("\n", " ").split("：", 1)[1]) is None, out
    svg = (tmp_path / "neuron.svg").read_text()
    assert "第一层的第 1 个神经元" in svg and "WenQuanYi" in svg
