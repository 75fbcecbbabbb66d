"""Binder installs every package the notebooks and the package import: binder/requirements.txt plus what postBuild
installs (this package's extras, their dependencies included), checked against the imports found in the code."""
import ast
import importlib.metadata as md
import json
import re
import sys

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

# imported only on a GPU runtime or on Colab, never on Binder's CPU
GPU_OR_COLAB = {"google", "unsloth", "unsloth_zoo", "vllm", "bitsandbytes"}


def imports(source: str) -> set[str]:
    """Top-level modules a Python source imports (absolute imports; IPython magics and shell lines dropped)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    found = set()
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def code_imports() -> set[str]:
    """Every third-party module the notebooks (assignment included) and gtalign_lite import."""
    found = set()
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                found |= imports("".join(cell["source"]))
    for path in sorted((ROOT / "gtalign_lite").rglob("*.py")):
        found |= imports(path.read_text())
    scripts = {p.stem for p in (ROOT / "scripts").glob("*.py")}  # the project's own scripts (colab_install)
    return found - set(sys.stdlib_module_names) - GPU_OR_COLAB - {"gtalign_lite"} - scripts


def requirement_names(text: str) -> set[str]:
    """Distribution names a requirements file lists (options such as --extra-index-url skipped)."""
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    return {canonicalize_name(Requirement(line).name) for line in lines if line and not line.startswith("-")}


def package_requirements(extras: list[str]) -> set[str]:
    """This package's dependencies plus those of the given extras, from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + [r for e in extras for r in project["optional-dependencies"][e]]
    return {canonicalize_name(Requirement(r).name) for r in listed}


def closure(names: set[str]) -> set[str]:
    """The names and everything they depend on, as installed here (markers evaluated, no extras of theirs)."""
    seen, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for r in map(Requirement, requires):
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(r.name))
    return seen


def missing(modules: set[str], installed: set[str]) -> list[str]:
    """'module (distribution)' for each module whose distribution is not among those installed."""
    dists = md.packages_distributions()
    out = []
    for module in sorted(modules):
        names = {canonicalize_name(d) for d in dists.get(module, [module])}
        if not names & installed:
            out.append(f"{module} ({', '.join(sorted(names))})")
    return out


def binder_installs() -> set[str]:
    """What a Binder build installs: requirements.txt, then postBuild's `-e ".[extras]"` and other installs."""
    post = (ROOT / "binder" / "postBuild").read_text()
    extras = re.search(r'-e "?\.\[([\w,]+)\]', post)
    named = requirement_names((ROOT / "binder" / "requirements.txt").read_text())
    named |= package_requirements(extras.group(1).split(",") if extras else [])
    named |= {canonicalize_name(m) for m in re.findall(r"install [^\n]*?([\w-]+)==", post)}
    return closure(named)


def test_binder_installs_every_package_the_notebooks_and_the_package_import():
    modules = code_imports()
    assert {"pandas", "sklearn", "math_verify", "nltk", "otter", "seaborn"} <= modules  # the scan finds them
    assert not missing(modules, binder_installs()), missing(modules, binder_installs())


def test_binder_lists_every_requirement_of_the_package_and_its_train_and_notebooks_extras():
    listed = requirement_names((ROOT / "binder" / "requirements.txt").read_text())
    assert not package_requirements(["train", "notebooks"]) - listed, package_requirements(["train", "notebooks"]) - listed
    post = (ROOT / "binder" / "postBuild").read_text()
    assert '-e ".[train,notebooks]"' in post and "--no-deps -e" not in post


def test_the_check_names_a_package_binder_would_miss():
    """Binder's former files: requirements without scikit-learn, math-verify, nltk or otter, the package --no-deps."""
    old = requirement_names("transformers==5.17.0\ntrl==1.14.2\npeft==0.21.2\npapermill==2.7.0\nseaborn==0.13.2\n")
    gaps = missing({"sklearn", "math_verify", "nltk", "otter", "seaborn"}, closure(old))
    assert gaps == ["math_verify (math-verify)", "nltk (nltk)", "otter (otter-grader)", "sklearn (scikit-learn)"]


def test_environment_yml_installs_the_extras_the_notebooks_need():
    env = (ROOT / "environment.yml").read_text()
    extras = re.search(r"-e \.\[([\w,]+)\]", env)
    assert extras and {"train", "notebooks"} <= set(extras.group(1).split(","))
    assert "scikit-learn==" in env
