"""Two languages, one truth: every text the code shows is in every catalogue, translations keep
their placeholders, the Chinese notebooks are the English ones with their prose translated, and
the language is chosen as documented (autograd/i18n.py, nets/translations.py)."""

from __future__ import annotations

import argparse
import inspect
import re
import string
import subprocess
import sys

import nbformat
import pytest

from autograd import i18n
from nets import translations
from nets.cli import ARGPARSE_MESSAGES, main

LANGUAGES = translations.languages()
FIELDS = re.compile(r"%\(\w+\)\w|%[sdr]")


def brace_fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.fixture(scope="module")
def code_catalogues():
    return {lang: translations.read(translations.code_catalogue(lang)) for lang in LANGUAGES}


def test_there_is_a_chinese_catalogue():
    assert "zh" in LANGUAGES and i18n.languages()[0] == "en"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_the_code_uses_is_translated(lang, code_catalogues):
    catalogue = code_catalogues[lang]
    missing = sorted({str(message) for message, _ in translations.code_messages()
                      if not (catalogue.get(message) and catalogue.get(message).string and not catalogue.get(message).fuzzy)})
    assert not missing, (f"{len(missing)} messages have no {lang} translation, e.g. {missing[:3]}: run "
                         f"`make translations` and translate the empty and fuzzy entries of {translations.code_catalogue(lang)}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_their_placeholders_and_lines(lang, code_catalogues):
    for message in code_catalogues[lang]:
        if not message.id or not message.string:
            continue
        pairs = zip(message.id if isinstance(message.id, tuple) else [message.id],
                    message.string if isinstance(message.string, tuple) else [message.string])
        for english, translated in pairs:
            assert brace_fields(english) == brace_fields(translated), (english, translated)
            assert sorted(FIELDS.findall(english)) == sorted(FIELDS.findall(translated)), (english, translated)
            assert english.count("\n") == translated.count("\n"), (english, translated)


def test_argparse_really_uses_the_messages_we_translate():
    source = inspect.getsource(argparse)
    assert all(message in source for message in ARGPARSE_MESSAGES)


def test_the_language_comes_from_the_environment(monkeypatch):
    for variable in i18n.ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    assert i18n.default_language() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.default_language() == "zh"
    monkeypatch.setenv("LC_ALL", "C.UTF-8")  # C is no language: the next variable decides
    assert i18n.default_language() == "zh"
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")  # a language with no catalogue: English
    assert i18n.default_language() == "en"
    monkeypatch.setenv("STEPGRAD_LANG", "zh")
    assert i18n.default_language() == "zh"
    with i18n.language("en"):
        assert i18n.current() == "en" and i18n.gettext("gradients:") == "gradients:"
    assert i18n.gettext("gradients:") == "梯度："


def test_an_unknown_language_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"unknown language 'xx': choose one of en, zh"):
        i18n.check_language("xx")


def test_an_edited_catalogue_is_used_even_before_it_is_compiled_again(tmp_path, monkeypatch):
    folder = tmp_path / "zh" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = folder / "stepgrad.po"
    po.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "gradients:"\nmsgstr "旧"\n')
    (folder / "stepgrad.mo").write_bytes(i18n.compile_catalogue(po))
    po.write_text(po.read_text().replace("旧", "新"))
    mo_time = (folder / "stepgrad.mo").stat().st_mtime
    import os

    os.utime(po, (mo_time + 10, mo_time + 10))  # the .po edited after the .mo was made
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        with i18n.language("zh"):
            assert i18n.gettext("gradients:") == "新"
    finally:
        i18n.translations.cache_clear()


def run(*argv: str, lang: str | None = None) -> tuple[int, str, str]:
    env = {"STEPGRAD_LANG": lang} if lang else {}
    result = subprocess.run([sys.executable, "-m", "nets.cli", *argv], capture_output=True, text=True,
                            env={**_clean_env(), **env})
    return result.returncode, result.stdout, result.stderr


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in i18n.ENVIRONMENT}


def test_explain_speaks_chinese_with_the_formulas_unchanged():
    status, out, _ = run("explain", "tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.88", "--lang", "zh")
    assert status == 0
    assert out.startswith("前向传播：\n") and "反向传播（5 步" in out and "梯度：" in out
    assert "  v5 = tanh(v4) = 0.7064" in out and "v4.grad += 0.5010 * v5.grad" in out
    english = run("explain", "tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.88")[1]
    assert english.startswith("forward pass:") and "梯度" not in english


@pytest.mark.parametrize("argv, words", [
    (["explain", "x*", "x=1", "--lang", "zh"], "stepgrad explain：错误：无效的表达式"),
    (["explain", "x*y", "x=1", "--lang=zh"], "没有值：请加上 y=NUMBER"),
    (["train", "--epochs", "0", "--lang", "zh"], "参数 --epochs：需要一个正整数"),
    (["train", "--lang", "zh", "--data", "nope"], "无效的选项：'nope'"),
])
def test_errors_are_one_chinese_line(argv, words):
    status, out, err = run(*argv)
    assert status == 2 and out == "" and err.count("\n") == 1 and words in err, err


def test_the_environment_chooses_the_language_of_the_help():
    status, out, _ = run("explain", "--help", lang="zh")
    assert status == 0 and "用法：" in out and "计算一个表达式，并逐个节点讲解它的反向传播" in out
    assert "显示此帮助信息并退出" in out
    assert "usage:" in run("explain", "--help", "--lang", "en", lang="zh")[1]


def test_the_argparse_words_are_restored_after_a_command(capsys):
    main(["explain", "x", "x=1", "--lang", "zh"])
    assert argparse._("usage: ") == "usage: "  # type: ignore[attr-defined]


def test_figures_speak_chinese_in_a_cjk_font():
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties, findfont

    from nets.language import set_language

    set_language("zh")
    try:
        fig, ax = plt.subplots()
        ax.set_title("training loss")
        ax.plot([0, 1], [1, 0], label="class 1")
        legend = ax.legend()
        assert ax.get_title() == "训练损失" and legend.get_texts()[0].get_text() == "类别 1"
        assert "wqy" in findfont(FontProperties(family=i18n.CJK_FONTS[0]), fallback_to_default=False).lower()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # matplotlib warns of each glyph missing from the fonts
            fig.canvas.draw()
        plt.close(fig)
    finally:
        set_language(None)
    fig, ax = plt.subplots()
    assert ax.set_title("training loss").get_text() == "training loss"
    plt.close(fig)


# ---- the notebooks ----

ENGLISH = translations.english_notebooks()
NOTEBOOK_LANGUAGES = [lang for lang in LANGUAGES if translations.notebook_catalogue(lang).exists()]


@pytest.mark.parametrize("lang", NOTEBOOK_LANGUAGES)
def test_every_paragraph_of_the_notebooks_is_translated(lang):
    catalogue = translations.read(translations.notebook_catalogue(lang))
    done = translations.translations_of(catalogue)
    missing = [text for text, _ in translations.notebook_messages() if text not in done]
    assert not missing, (f"{len(missing)} paragraphs of the English notebooks have no {lang} translation, e.g. "
                         f"{missing[0][:80]!r}: run `make translations`, translate the empty and fuzzy entries of "
                         f"{translations.notebook_catalogue(lang)}, then run it again")


@pytest.mark.parametrize("lang", NOTEBOOK_LANGUAGES)
@pytest.mark.parametrize("path", ENGLISH, ids=[p.stem for p in ENGLISH])
def test_the_translated_notebook_has_the_english_code_cells(lang, path):
    """The only code cell a translation adds is the language switch, as its first code cell."""
    translated = nbformat.read(translations.NOTEBOOKS / lang / path.name, as_version=4)
    english = nbformat.read(path, as_version=4)
    code = [cell.source for cell in translated.cells if cell.cell_type == "code"]
    assert code[0] == translations.LANGUAGE_SWITCH.format(lang=lang)
    assert code[1:] == [cell.source for cell in english.cells if cell.cell_type == "code"], (
        f"{lang}/{path.name} has drifted from {path.name}: run `make translations`")


@pytest.mark.parametrize("lang", NOTEBOOK_LANGUAGES)
@pytest.mark.parametrize("path", ENGLISH, ids=[p.stem for p in ENGLISH])
def test_the_translated_notebook_is_what_the_sync_writes(lang, path):
    """Its prose is the catalogue's translation of the English notebook's, cell for cell, and it
    was executed (with outputs, without errors) since its cells last changed."""
    translated = nbformat.read(translations.NOTEBOOKS / lang / path.name, as_version=4)
    done = translations.translations_of(translations.read(translations.notebook_catalogue(lang)))
    expected = translations.translated_notebook(path, lang, done)
    assert translations.sources(translated) == translations.sources(expected), (
        f"{lang}/{path.name} is not in step with {path.name} and the catalogue: run `make translations`")
    unrun = [i for i, cell in enumerate(translated.cells) if cell.cell_type == "code" and cell.execution_count is None]
    assert not unrun, f"{lang}/{path.name}: cells {unrun} were never run: run `make translations`"
    errors = [o.get("ename") for c in translated.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors


def test_paragraphs_keep_code_blocks_and_formulas_whole():
    text = ("# Title\n\nSome *prose* here,\nover two lines.\n\n```python\nx = 1\n\ny = 2\n```\n\n$$\na = b\n$$\n\n"
            "$$x\n\n= y.$$\n\nAfter.")
    blocks = translations.paragraphs(text)
    assert blocks == ["# Title", "Some *prose* here,\nover two lines.", "```python\nx = 1\n\ny = 2\n```", "$$\na = b\n$$",
                      "$$x\n\n= y.$$", "After."]
    assert [translations.translatable(b) for b in blocks] == [True, True, False, False, False, True]


def test_figure_texts_are_found_and_fstrings_become_templates():
    code = 'ax.set_title(f"softmax of {s} x logits")\nax.plot(x, y, label="forward difference")\nax.set_xlabel("x")'
    assert list(translations.figure_texts(code)) == ["softmax of {0} x logits", "forward difference"]


def test_figure_texts_are_translated_as_they_are_or_as_templates():
    from nets.language import figure_text

    assert figure_text("forward difference", "zh") == "前向差分"
    assert figure_text("softmax of 3 x logits", "zh") == "3 倍 logits 的 softmax"
    assert figure_text("something else", "zh") == "something else"
    assert figure_text("forward difference", "en") == "forward difference"


# The glossary (notebooks/zh/README.md, 中英术语对照) names one Chinese term per idea; these are
# the other common renderings, which the catalogues must not use.
NOT_THE_GLOSSARY_TERM = {
    "代价函数": "损失函数", "激励函数": "激活函数", "过度拟合": "过拟合", "正规化": "正则化",
    "批标准化": "批量归一化", "批归一化": "批量归一化", "批规范化": "批量归一化", "反向传递": "反向传播",
    "前向传递": "前向传播", "学习速率": "学习率", "梯度截断": "梯度裁剪", "梯度剪裁": "梯度裁剪",
    "数据扩增": "数据增强", "数据扩充": "数据增强", "跨步": "步幅", "补零": "填充", "小批次": "小批量",
    "迭代次数": "轮", "时期": "轮", "权值": "权重", "偏差项": "偏置", "混淆矩阵图": "混淆矩阵",
}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang == "zh"])
def test_the_chinese_catalogues_use_the_glossary_terms(lang):
    paths = [translations.code_catalogue(lang)] + [p for p in [translations.notebook_catalogue(lang)] if p.exists()]
    for path in paths:
        for message in translations.read(path):
            for text in message.string if isinstance(message.string, tuple) else [message.string]:
                for other, term in NOT_THE_GLOSSARY_TERM.items():
                    assert other not in text, f"{path.name}: {other!r} where the glossary says {term!r}: {text[:80]!r}"


def test_the_glossary_has_the_terms_the_catalogues_must_use():
    glossary = (translations.NOTEBOOKS / "zh" / "README.md").read_text()
    assert all(term in glossary for term in NOT_THE_GLOSSARY_TERM.values())


# ---- the Stepper, its page and its drawings ----


def neuron():
    from autograd import Value

    x1, x2, w1, w2 = Value(2.0, label="x1"), Value(0.0, label="x2"), Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    return (x1 * w1 + x2 * w2 + b).tanh()


def test_a_chinese_stepper_keeps_its_formulas_and_translates_its_words():
    from autograd import Stepper

    english, chinese = Stepper(neuron(), lang="en"), Stepper(neuron(), lang="zh")
    assert [s.explain() for s in chinese.steps] == [s.explain() for s in english.steps]  # formulas only
    assert english.heading(0) == "Step 1 of 11 · Forward 1 of 5" and chinese.heading(0) == "第 1 步，共 11 步 · 前向 1 / 5"
    assert chinese.steps[0].chain_rule().startswith("链式法则：") and "v5.grad" in chinese.steps[0].chain_rule()
    assert chinese.gradients()[0][1] in ("参数", "输入")
    with i18n.language("en"):  # the language in force elsewhere does not change a Stepper's
        assert chinese.heading(0).startswith("第 1 步")


def test_the_saved_page_is_in_the_language_asked_for(tmp_path):
    from autograd import Stepper

    stepper = Stepper(neuron(), lang="en")
    page = stepper.save_html(tmp_path / "zh.html", lang="zh").read_text()
    assert '<html lang="zh">' in page and "如何读图" in page and "下一步" in page and "WenQuanYi Micro Hei" in page
    assert "How to read the drawings" not in page and "dv5/dv4 = 1 - v5**2 = 0.5000" in page
    assert stepper.heading(0).startswith("Step 1")  # the Stepper itself stays English
    english = stepper.save_html(tmp_path / "en.html").read_text()
    assert '<html lang="en">' in english and "How to read the drawings" in english and "如何读图" not in english


def test_an_unknown_language_for_a_stepper_is_refused():
    from autograd import Stepper

    with pytest.raises(ValueError, match="unknown language 'fr'"):
        Stepper(neuron(), lang="fr")


def test_chinese_drawings_name_a_cjk_font():
    from autograd import Stepper

    from autograd import Value

    a = Value(3.0, label="a")
    drawing = Stepper(a * a + a, lang="zh").steps[0].draw().source  # a's grad after the sum: more to come
    assert f'fontname="Helvetica,{i18n.CJK_FONTS[0]}"' in drawing and "（目前）" in drawing
    english = Stepper(a * a + a, lang="en").steps[0].draw().source
    assert "WenQuanYi" not in english and " so far" in english
