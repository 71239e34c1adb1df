"""The layout: the engine core imports nothing of the project, modules share only public
names, `stepgrad explain` starts without the heavy libraries, and a foreign `autograd` is
reported in one line."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("autograd", "nets", "benchmarks")
HEAVY = ("numpy", "matplotlib", "sklearn", "tqdm")


def sources() -> list[Path]:
    return sorted(path for package in PROJECT for path in (ROOT / package).rglob("*.py"))


def imports(path: Path) -> list[ast.ImportFrom | ast.Import]:
    return [node for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, (ast.Import, ast.ImportFrom))]


def python(code: str, *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, env=env)


CORE = ("value", "ops")  # the Value, the table of operations, backward


def test_the_engine_core_imports_only_the_standard_library_and_itself():
    for core in CORE:
        for node in imports(ROOT / "autograd" / f"{core}.py"):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1 and node.module in CORE, f"{core}.py imports .{node.module}"
                continue
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            assert all(module.split(".")[0] in sys.stdlib_module_names for module in modules), (core, modules)


def test_the_engine_never_imports_the_library_at_load_time_or_call_time():
    """Every import statement of every module of `autograd/`, those inside functions and
    under TYPE_CHECKING included: the engine owns what it needs (its atomic file writer)."""
    offences = []
    for path in sorted((ROOT / "autograd").rglob("*.py")):
        for node in imports(path):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(module.split(".")[0] == "nets" for module in modules) or isinstance(node, ast.ImportFrom) and node.level > 1:
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {modules}")
    assert offences == []


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each module of the project and the project modules it imports: at load time, inside
    functions (call time) and under TYPE_CHECKING alike.  `from package import name` is an
    edge to the submodule `package.name` where there is one, else to the package."""
    modules = {module_name(path): path for path in sources()}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in imports(path):
            if isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            else:
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                source = ".".join([*base, *([node.module] if node.module else [])])
                wanted = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source for alias in node.names]
            for target in wanted:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every set of modules that import each other, directly or round a loop (Tarjan's
    strongly connected components, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_circles_between_the_projects_modules():
    assert circles(import_graph()) == []


def test_the_import_circle_check_finds_a_circle():
    graph = import_graph()
    assert {"nets.serialize", "nets.module"} <= graph["nets.dense"] | graph["nets.module"]  # Module.save: call time
    assert "nets.history" in graph["nets.callbacks"]  # under TYPE_CHECKING
    graph["nets.serialize"] = graph["nets.serialize"] | {"nets.dense"}  # say serialize imported a class again
    assert [{"nets.dense", "nets.module", "nets.serialize"} <= set(circle) for circle in circles(graph)] == [True]


def test_no_module_imports_a_private_name_of_another():
    offences = [
        f"{path.relative_to(ROOT)}: from {'.' * node.level}{node.module} import {alias.name}"
        for path in sources()
        for node in imports(path)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_") and node.module != "__future__"
    ]
    assert offences == []


def test_explain_starts_without_numpy_matplotlib_scikit_learn_or_tqdm():
    result = python(
        "import sys\n"
        "from nets.cli import main\n"
        "status = main(['explain', 'x*x', 'x=3'])\n"
        f"print(status, sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == "0 []"


def test_nets_still_offers_every_name_on_first_use():
    import nets

    for name in nets.__all__:
        assert getattr(nets, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'MPL'"):
        nets.MPL  # noqa: B018


@pytest.fixture
def foreign_autograd(tmp_path: Path) -> dict[str, str]:
    """An environment where a package named `autograd` that is not stepgrad's comes first."""
    package = tmp_path / "autograd"
    package.mkdir()
    (package / "__init__.py").write_text('"""A stand-in for HIPS autograd."""\n\n\ndef grad(fun):\n    return fun\n')
    return {**os.environ, "PYTHONPATH": str(tmp_path)}


def test_a_foreign_autograd_is_named_when_nets_is_used(foreign_autograd, tmp_path):
    result = python("import nets\nnets.MLP(2, [1])", cwd=tmp_path, env=foreign_autograd)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"nets.engine.ShadowedEngineError: another package named 'autograd' ({tmp_path / 'autograd' / '__init__.py'}) "
        "shadows stepgrad's engine; install stepgrad in a virtual environment of its own, without that package "
        "(python -m venv)"
    )


def test_a_foreign_autograd_is_one_line_from_the_command(foreign_autograd, tmp_path):
    result = subprocess.run([sys.executable, "-m", "nets.cli", "explain", "x*x", "x=3"],
                            capture_output=True, text=True, cwd=tmp_path, env=foreign_autograd)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("stepgrad: error: another package named 'autograd' (")


def test_make_quick_leaves_out_the_slow_tests():
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "-m", "not slow"], capture_output=True, text=True, cwd=ROOT)
    quick = {line.split("::")[1].split("[")[0] for line in run.stdout.splitlines() if "::" in line}
    assert "test_make_quick_leaves_out_the_slow_tests" in quick and "test_notebook_is_committed_with_outputs" in quick
    assert not quick & {"test_notebook_runs_top_to_bottom", "test_chain_of_a_million_nodes_has_no_recursion_limit",
                        "test_demo_trains_prints_accuracy_and_writes_its_pictures",
                        "test_smoke_run_prints_the_table_and_writes_the_json"}
