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


def test_learner_code_that_raises_gets_the_error_and_its_line_not_a_traceback():
    def softmax(zs):
        total = 0
        return [z / total for z in zs]

    feedback = check("06.2", softmax)
    assert not feedback
    assert "raised ZeroDivisionError" in feedback.message and "`return [z / total for z in zs]`" in feedback.message
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
    assert wrong.startswith("✗ 练习 01.1：") and "偏高 2" in wrong and "(the engine's x.grad" not in wrong
    assert "12" in wrong and "10" in wrong and "提示：" in wrong and "Hint:" not in wrong
    assert right.startswith("✓ 练习 01.1：正确") and "10" in right
    assert "还没有作答" in unanswered
    assert "你的字典里没有 b, c 这一项" in missing
    assert "3 个 gradient 中有 1 个正确" in two_wrong and "偏低" in two_wrong
    assert "抛出了 ZeroDivisionError" in raised and "第" in raised and "行" in raised
    assert "应该是一个函数" in not_a_function and "文本 '7'" in not_a_function
    assert "没有练习 '99.9'" in unknown
    for text in (wrong, right, unanswered, missing, two_wrong, raised, not_a_function, unknown):
        assert not re.search(r"\b(your|right|wrong|not answered|too high|too low|Exercise)\b", text.split("提示：")[0]
                             .replace("the engine's x.grad", "").replace("the engine's backward()", "")), text


def test_the_same_check_in_english_speaks_english():
    wrong, right, unanswered, missing, two_wrong, raised, not_a_function, unknown = _answers_in("en")
    assert wrong.startswith("✗ Exercise 01.1: your slope 12 is 2 too high (the engine's x.grad: 10). Hint: ")
    assert right.startswith("✓ Exercise 01.1: right: slope 10")
    assert "not answered yet" in unanswered and "your dict has no entry for b, c" in missing
    assert "1 of 3 gradients are right" in two_wrong and "raised ZeroDivisionError" in raised
    assert "should be a function" in not_a_function and "there is no exercise '99.9'" in unknown
    assert not re.search(r"[\u4e00-\u9fff]", "".join(_answers_in("en")))
