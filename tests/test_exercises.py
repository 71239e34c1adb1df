"""The exercises: every one is solvable, its checker accepts the solution and gives a typical
wrong answer the intended hint, the learners' sections match the solution notebooks, and
learner code that fails, hangs or returns the wrong thing gets a sentence, never a traceback."""

from __future__ import annotations

import contextlib
import io
import os
import re
import threading
import time
from pathlib import Path

import nbformat
import pytest

from nets import course, exercises
from nets.exercises import EXERCISES, Feedback, check, grade

SOLUTIONS = sorted(course.SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
LEARNERS = sorted(course.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CALL = re.compile(r'^(?:check|grade)\("(\d\d\.\d)"', re.M)


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def test_every_notebook_has_two_to_five_exercises_and_a_solution_notebook():
    assert [p.name for p in SOLUTIONS] == [p.name for p in LEARNERS]
    by_notebook: dict[str, list[str]] = {}
    for exercise in EXERCISES:
        by_notebook.setdefault(exercise[:2], []).append(exercise)
    assert sorted(by_notebook) == [p.name[:2] for p in LEARNERS]
    assert all(2 <= len(ids) <= 5 for ids in by_notebook.values()), by_notebook


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_each_exercise_is_checked_and_graded_in_its_solution_notebook(path):
    code = [c.source for c in read(path).cells if c.cell_type == "code"]
    checked = [m for src in code if not src.lstrip().startswith("def wrong") for m in CALL.findall(src) if "check(" in src]
    graded = [m for src in code if "grade(" in src for m in CALL.findall(src)]
    mine = sorted(e for e in EXERCISES if e.startswith(path.name[:2]))
    assert sorted(checked) == mine and sorted(graded) == mine, (checked, graded)
    for cell in read(path).cells:
        if "grade(" in cell.source and "import" not in cell.source:
            assert course.GRADER in course.tags(cell), "a grade() cell must be tagged grader (kept from learners)"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_the_learners_section_is_made_from_the_solutions(path):
    """If this fails after editing notebooks/solutions/, run: python -m nets.course sync NN"""
    made = [(c.cell_type, c.source) for c in course.learner_cells(read(path))]
    learner = read(course.learner_path(path))
    found = [(c.cell_type, c.source) for c in course.section(learner)]
    assert found == made, f"run: python -m nets.course sync {path.name[:2]}"
    text = "\n".join(c.source for c in learner.cells)
    assert "BEGIN SOLUTION" not in text and "grade(" not in text
    assert course.section(learner)[0].source.startswith("## Exercises")
    assert learner.cells[-len(made):] == course.section(learner), \
        f"the Exercises section must end the notebook; run: python -m nets.course sync {path.name[:2]} (it moves it there)"


def test_sync_keeps_cells_added_after_the_section_and_moves_them_before_it():
    import nbformat

    cells = [nbformat.v4.new_markdown_cell("# Lesson", id="intro"),
             *course.learner_cells(read(SOLUTIONS[0])),
             nbformat.v4.new_markdown_cell("## MNIST", id="mnist")]
    notebook = nbformat.v4.new_notebook(cells=cells)
    assert [c.id for c in course.body(notebook)] == ["intro", "mnist"]
    assert course.section(notebook)[0].id == "exercises" and len(course.section(notebook)) == len(cells) - 2


def test_solution_markers_become_stubs_at_their_indentation():
    source = "import math\n\ndef f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert course.strip_solutions(source) == "import math\n\ndef f(x):\n    pass  # YOUR CODE HERE\n"
    assert course.strip_solutions("### BEGIN SOLUTION\nb = 2\nanswer = b\n### END SOLUTION") == "answer = ...  # YOUR ANSWER HERE"


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_the_solution_notebook_runs_and_every_grade_holds(path, monkeypatch):
    """Runs every cell (grader cells included: grade() raises unless the solution passes and the
    typical wrong answer fails with its hint), in the notebooks folder, as the kernel would."""
    run_notebook(path, monkeypatch)


def run_notebook(path: Path, monkeypatch) -> None:
    monkeypatch.chdir(course.NOTEBOOKS)
    namespace: dict = {"__name__": "__main__"}
    for cell in read(path).cells:
        if cell.cell_type == "code":
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, f"{path.name}:{cell.id}", "exec"), namespace)


def test_grade_refuses_a_wrong_solution_and_a_hint_that_does_not_come():
    with pytest.raises(AssertionError, match="the solution to 01.1 is refused"):
        grade("01.1", 12, wrong=12, hint="-2x")
    with pytest.raises(AssertionError, match="should fail with the hint"):
        grade("01.1", 10, wrong=12, hint="a hint nobody wrote")


def test_a_wrong_number_is_named_with_by_how_much_and_a_hint():
    feedback = check("04.1", 12960)
    assert not feedback and "42 too low" in feedback.message and "13002" in feedback.message
    assert "Hint: you counted only the weights" in feedback.message
    assert str(feedback).startswith("✗ Exercise 04.1:")


def test_a_wrong_gradient_is_named():
    answer = {"a": -24, "b": 16, "c": 9}
    feedback = check("01.2", answer)
    assert "2 of 3" in feedback.message and "c: yours 9" in feedback.message and "1 too high" in feedback.message


def test_unanswered_wrong_type_and_unknown_exercise_get_sentences():
    assert "not answered yet" in check("01.1", ...).message
    assert "should be a number" in check("01.1", "10").message and "'10'" in check("01.1", "10").message
    assert "should be a function" in check("09.1", 3).message
    assert "there is no exercise '99.9'" in check("99.9", 1).message
    wrong_shape = check("09.3", lambda grid: 5)
    assert "a list of 2 was expected" in wrong_shape.message


def test_the_starter_code_is_not_answered_yet_and_gets_no_hint():
    for exercise, starter in [("09.1", lambda W, F, P, S: None), ("04.3", lambda *a: None), ("03.2", lambda x: None),
                              ("13.1", lambda xs, eps=1e-5: None), ("12.1", lambda ps, lam: None)]:
        feedback = check(exercise, starter)
        assert feedback.message.startswith("not answered yet") and "Hint" not in feedback.message, feedback


def _starter_feedback(path: Path) -> list[Feedback]:
    """What each check of a learner's Exercises section says when nothing has been answered: its
    code cells run as they are given (the starter code), each `check(...)` cell's Feedback."""
    namespace: dict = {}
    said = []
    for cell in course.learner_cells(read(path)):
        if cell.cell_type != "code":
            continue
        if CALL.match(cell.source):
            said.append(eval(cell.source, namespace))
        else:
            exec(cell.source, namespace)
    return said


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_every_exercise_s_starter_code_is_not_answered_yet_and_gets_no_hint(path):
    from autograd.i18n import language

    for lang, unanswered, hint in (("en", "not answered yet", "Hint"), ("zh", "还没有作答", "提示")):
        with language(lang):
            said = _starter_feedback(path)
        assert len(said) == len([e for e in EXERCISES if e.startswith(path.name[:2])])
        for feedback in said:
            assert not feedback and feedback.message.startswith(unanswered) and hint not in feedback.message, feedback


def test_one_sgd_step_that_changes_nothing_gets_no_hint_that_is_the_answer():
    def rebinds(params, lr):
        for p in params:
            p = p.data - lr * p.grad  # noqa: F841 (the loop variable only)

    said = check("11.1", rebinds).message
    assert said.startswith("not answered yet: your sgd_step changed no parameter") and "loop variable p" in said
    assert "Hint" not in said and "-=" not in said and "lr * p.grad" not in said
    returned = check("11.1", lambda params, lr: [p.data - lr * p.grad for p in params]).message
    assert returned.startswith("no parameter changed: update each p.data in place") and "Hint" in returned


def test_learner_code_that_raises_gets_the_error_and_its_line_not_a_traceback():
    def softmax(zs):
        total = 0
        return [z / total for z in zs]

    feedback = check("06.2", softmax)
    assert not feedback
    assert "raised `ZeroDivisionError: float division by zero`" in feedback.message and "`return [z / total for z in zs]`" in feedback.message
    assert "Traceback" not in str(feedback) and "Hint: subtract max(zs)" in feedback.message


def test_learner_code_that_loops_for_ever_is_stopped(monkeypatch):
    monkeypatch.setattr(exercises, "TIME_LIMIT", 0.3)

    def conv_output_size(W, F, P, S):
        while True:
            try:
                pass
            except Exception:  # a learner's catch-all must not swallow the time-out
                pass

    start = time.monotonic()
    feedback = check("09.1", conv_output_size)
    assert time.monotonic() - start < 5
    assert "did not return within 0.3 s" in feedback.message and "loop that never ends" in feedback.message


def test_the_time_limit_holds_off_the_main_thread_too(monkeypatch):
    monkeypatch.setattr(exercises, "TIME_LIMIT", 0.3)
    result: list[Feedback] = []
    worker = threading.Thread(target=lambda: result.append(check("09.1", lambda *a: time.sleep(3))))
    worker.start()
    worker.join(10)
    assert "did not return within 0.3 s" in result[0].message


def test_a_float_where_a_value_is_needed_and_data_that_cuts_the_graph():
    assert "not a Value" in check("03.2", lambda x: x.data / (1 + abs(x.data))).message
    cut = check("03.2", lambda x: x / (1 + abs(x.data)))
    assert "gradient of x" in cut.message


def test_a_known_mistake_is_recognised_only_when_it_matches():
    assert "one line cannot separate XOR" in check("05.2", lambda a, b: float(a or b)).message
    other = check("05.2", lambda a, b: 0.0)
    assert not other and "one line cannot" not in other.message and "Hint: XOR = AND(OR" in other.message


def test_feedback_shows_in_a_notebook():
    right = check("02.2", 7)
    assert right and right._repr_html_().startswith('<div class="stepgrad-feedback"') and "✓" in repr(right)
    assert os.path.basename(exercises.__file__) == "exercises.py"


# ---- the checks speak the learner's language (the zh notebooks' first cell is nets.set_language("zh")) ----

def _answers_in(lang: str) -> list[str]:
    from autograd.i18n import language

    def slow(x):
        while True:
            pass

    with language(lang):
        return [str(check("01.1", 12)), str(check("01.1", 10)), str(check("01.1", ...)), str(check("01.2", {"a": 1})),
                str(check("01.2", {"a": -48.0, "b": 32.0, "c": 8.0})), str(check("07.2", lambda grads, m: 1 / 0)),
                str(check("09.1", "7")), str(check("99.9", 1))]


def test_a_check_answered_in_chinese_speaks_chinese_with_its_numbers_unchanged():
    wrong, right, unanswered, missing, two_wrong, raised, not_a_function, unknown = _answers_in("zh")
    assert wrong.startswith("✗ 练习 01.1：你的斜率 12 偏高 2（引擎的 x.grad：10）。提示：3x**2 在 x = 2 处是 12")
    assert "12" in wrong and "10" in wrong and "提示：" in wrong and "Hint:" not in wrong
    assert right.startswith("✓ 练习 01.1：正确") and "10" in right
    assert "还没有作答" in unanswered
    assert "你的字典里没有 b, c 这一项" in missing
    assert "3 个梯度中有 1 个正确" in two_wrong and "偏低" in two_wrong
    assert "抛出了 `ZeroDivisionError: division by zero`" in raised and "第" in raised and "行" in raised
    assert "应该是一个函数" in not_a_function and "文本 '7'" in not_a_function
    assert "没有练习 '99.9'" in unknown
    for text in (wrong, right, unanswered, missing, two_wrong, raised, not_a_function, unknown):
        assert not re.search(r"\b(your|right|wrong|not answered|too high|too low|Exercise|Hint|engine)\b", text), text


def test_the_same_check_in_english_speaks_english():
    wrong, right, unanswered, missing, two_wrong, raised, not_a_function, unknown = _answers_in("en")
    assert wrong.startswith("✗ Exercise 01.1: your slope 12 is 2 too high (the engine's x.grad: 10). Hint: ")
    assert right.startswith("✓ Exercise 01.1: right: slope 10")
    assert "not answered yet" in unanswered and "your dict has no entry for b, c" in missing
    assert "1 of 3 gradients are right" in two_wrong and "raised `ZeroDivisionError" in raised
    assert "should be a function" in not_a_function and "there is no exercise '99.9'" in unknown
    assert not re.search(r"[\u4e00-\u9fff]", "".join(_answers_in("en")))


# ---- every word of a check is in the learner's language, its hints included ----

CODE_SPAN = re.compile(r"`[^`]*`")
ENGLISH_RUN = re.compile(r"(?<![\w.'])[a-z]+(?: [a-z]+)+(?![\w.(])")  # 2+ plain lower-case words in a row


def english_runs(text: str) -> list[str]:
    """Runs of two or more English words outside `code` spans; a formula (`lr * p.grad`,
    `d(x**3)/dx`) or a code name (`x.grad`, `max_norm`) is no such run."""
    return ENGLISH_RUN.findall(CODE_SPAN.sub("", text))


def test_the_english_runs_heuristic():
    assert english_runs("✗ 练习 01.1：正确：slope 是 10，与 the engine's x.grad 一致。") == ["the engine"]
    assert english_runs("提示：对每个参数原地执行 p.data -= lr * p.grad；norm > max_norm；d(x**3)/dx = 3x**2。") == []
    assert english_runs("把 `pass  # YOUR CODE HERE` 换成它的函数体，sum(w**2)") == []


def _representative_feedback(lang: str) -> list[str]:
    """Right and wrong answers (known mistakes and others) to exercises of each kind of check."""
    from autograd.i18n import language

    answers = [("01.1", 10), ("01.1", 12), ("01.1", 5),  # a number: right, a known mistake, another
               ("01.2", {"a": -24.0, "b": 16.0, "c": 8.0}), ("01.2", {"a": -3.0, "b": 2.0, "c": 1.0}),  # named numbers
               ("03.1", lambda f, x, eps=1e-6: (f(x + eps) - f(x - eps)) / (2 * eps)),  # a function
               ("03.1", lambda f, x, eps=1e-6: (f(x + eps) - f(x - eps)) / eps),
               ("03.2", lambda x: x / (1 + abs(x))), ("03.2", lambda x: x / (1 + abs(x.data))),  # a function of Values
               ("05.1", (1.0, 1.0, -0.5)), ("05.1", (1.0, 1.0, -1.5)),  # the corners of AND
               ("09.3", lambda g: 5), ("11.2", 0.1), ("11.2", 0.5), ("12.2", 0.8), ("14.1", 1482)]
    with language(lang):
        return [str(check(exercise, answer)) for exercise, answer in answers]


def test_in_chinese_a_check_has_no_english_words_but_its_formulas_and_code_names():
    feedback = _representative_feedback("zh")
    assert sum(text.startswith("✓") for text in feedback) == 6
    for text in feedback:
        assert text.startswith(("✓ 练习", "✗ 练习")) and not english_runs(text), (english_runs(text), text)
    assert "提示：3x**2 在 x = 2 处是 12" in feedback[1] and "引擎的 x.grad" in feedback[0]


def test_in_english_the_same_checks_stay_english():
    feedback = _representative_feedback("en")
    for text in feedback:
        assert text.startswith(("✓ Exercise", "✗ Exercise")) and english_runs(text), text
        assert not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", text), text
    assert "Hint: 3x**2 at x = 2 is 12" in feedback[1] and "the engine's x.grad" in feedback[0]


@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_every_solution_and_typical_mistake_is_told_in_chinese(path, monkeypatch):
    """The solution notebook run in Chinese: every check and grade, right and wrong, in Chinese
    (grade still finds its English hint: it is given in the code's language)."""
    from autograd.i18n import current, language

    said: list[Feedback] = []

    def recorded(exercise: str, answer):
        feedback = check(exercise, answer)
        if current() == "zh":  # not grade's own look for its English hint
            said.append(feedback)
        return feedback

    monkeypatch.setattr(exercises, "check", recorded)
    with language("zh"):
        run_notebook(path, monkeypatch)
    assert any(f.ok for f in said) and any(not f.ok for f in said)
    for feedback in said:
        assert not english_runs(str(feedback)), (english_runs(str(feedback)), str(feedback))


def test_each_exercise_has_its_title_and_hint_in_the_catalogue():
    """Registered with N_ (so `make translations` finds them) and translated in every catalogue."""
    from nets import translations

    messages = {message for message, _where in translations.code_messages()}
    for lang in translations.languages():
        done = translations.translations_of(translations.read(translations.code_catalogue(lang)))
        for spec in EXERCISES.values():
            assert spec.title in messages and spec.hint in messages, spec.id
            assert done.get(spec.title) and done.get(spec.hint), (lang, spec.id)


def test_grade_speaks_the_language_in_force_and_still_finds_its_english_hint():
    from autograd.i18n import language

    with language("zh"):
        assert "提示：3x**2 在 x = 2 处是 12" in str(grade("01.1", 10, wrong=12, hint="-2x contributes"))
        with pytest.raises(AssertionError, match="练习 01.1 的参考答案没有通过"):
            grade("01.1", 12, wrong=12, hint="-2x")


def test_every_sentence_of_the_checkers_is_marked_for_translation():
    """In nets/exercises.py a string of English words is a catalogue message, `_()` or `N_()`
    (so `make translations` finds it), unless it is markup or a programming error."""
    import ast

    tree = ast.parse(Path(exercises.__file__).read_text())
    marked = {id(part) for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("_", "N_") for arg in node.args for part in ast.walk(arg)}
    docstrings = {id(node.body[0].value) for node in ast.walk(tree) if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    unmarked = [(node.lineno, node.value) for node in ast.walk(tree) if isinstance(node, ast.Constant)
                and isinstance(node.value, str) and id(node) not in marked | docstrings and english_runs(node.value)]
    assert [text for _line, text in unmarked] == ['<div class="stepgrad-feedback" style="border-left: 4px solid ',
                                                  " is registered twice"], unmarked


def test_the_chinese_notebooks_show_their_checks_in_chinese():
    """The saved outputs of the check cells of notebooks/zh/ (re-execute its Exercises cells after a change of words)."""
    shown = []
    for path in sorted((course.NOTEBOOKS / "zh").glob("[0-9][0-9]_*.ipynb")):
        for cell in read(path).cells:
            if cell.cell_type == "code" and CALL.search(cell.source):
                shown += [(path.name, "".join(o.data["text/plain"])) for o in cell.outputs if "text/plain" in o.get("data", {})]
    assert len(shown) == len(EXERCISES)
    for name, text in shown:
        assert text.startswith("✗ 练习") and not english_runs(text), (name, text)


def test_chinese_words_close_up_but_code_keeps_its_spaces():
    from nets.exercises import _spaced

    assert _spaced("你的 斜率 12 偏高 2，在第 3 行：`print(\"你 好\")`。") == "你的斜率 12 偏高 2，在第 3 行：`print(\"你 好\")`。"
    assert _spaced("your slope 12 is 2 too high") == "your slope 12 is 2 too high"
