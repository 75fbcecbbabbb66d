"""The user-facing text: a README short enough to be a front door, every docs/ page linked from it, every local link
and heading anchor resolving, the README's summary numbers present on the results page, and no work history."""
import json
import re
from pathlib import Path

import pytest

from conftest import ROOT

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS, ROOT / "notebooks" / "README.md", ROOT / "figures" / "README.md"]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")  # [text](target) and ![alt](target)
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def local_links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    return [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]  # http:, https:, mailto:


def test_slug_follows_githubs_rule_on_hand_worked_headings():
    assert slug("One run of `make reproduce`") == "one-run-of-make-reproduce"
    assert slug("Gates (measured on the validation split only, before any result on test is read)") == \
        "gates-measured-on-the-validation-split-only-before-any-result-on-test-is-read"
    assert slug("The paper's data") == "the-papers-data"
    assert slug("Suite (`gtalign_lite/suite.py`)") == "suite-gtalign_litesuitepy"


def test_readme_is_at_most_150_lines():
    n = len(README.read_text().splitlines())
    assert n <= 150, f"README.md has {n} lines: move detail to a page in docs/ and link it"


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(README.parent / t.split("#")[0]).resolve() for t in local_links(README)}
    missing = [p.name for p in DOCS if p.resolve() not in linked]
    assert not missing, f"docs pages not linked from README.md: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_local_link_and_anchor_resolves(page):
    broken = []
    for target in local_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file.relative_to(ROOT) if file.is_relative_to(ROOT) else file}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading with anchor #{anchor} in {file.name}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_readme_summary_numbers_are_on_the_results_page():
    """The README's 'what reproduced' part is a summary of docs/results.md (whose tables tests/test_results.py checks
    against the committed CSVs): every decimal number in it must appear there too."""
    text = README.read_text()
    part = text[text.index("## What reproduced"):text.index("## Pre-registered experiment")]
    results = (ROOT / "docs" / "results.md").read_text()
    numbers = set(re.findall(r"[+-]?\d+\.\d+", part))
    assert len(numbers) >= 20, f"expected the summary's numbers, found {sorted(numbers)}"
    missing = sorted(n for n in numbers if n not in results)
    assert not missing, f"README numbers not on docs/results.md: {missing}"


HISTORY = ["previous session", "earlier session", "previous version", "before the speed work", "of mine",
           "earlier attempts", "earlier versions of this package", "we tried", "the old path"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_work_history_in_user_documents(page):
    text = page.read_text().lower()
    found = [phrase for phrase in HISTORY if phrase in text]
    assert not found, f"{page.relative_to(ROOT)} tells the history of the work ({found}): that belongs in the git log"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("0*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_names_its_stored_profile_and_ends_with_what_we_learned(path):
    """The first cell says which profile's outputs are stored; 'What we learned' follows the last code cell but the
    checks (issue 23's reading order: story first, checks after it)."""
    cells = json.loads(path.read_text())["cells"]
    opening = "".join(cells[0]["source"])
    stored = opening[opening.find("**Stored outputs:**"):]
    assert "**Stored outputs:**" in opening and (any(f"`{p}`" in stored for p in ("smoke", "cpu", "colab_t4"))
                                                 or "does not depend on a profile" in stored), path.name
    heads = [(i, "".join(c["source"]).lstrip()) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]
    learned = [i for i, t in heads if t.startswith("## What we learned")]
    checks = [i for i, t in heads if t.startswith("## Checks")]
    assert len(learned) == 1, f"{path.name}: one 'What we learned' section"
    assert all(i > learned[0] for i in checks), f"{path.name}: the checks come after 'What we learned'"
    end = checks[0] if checks else len(cells)
    summary = [c for c in cells[learned[0] + 1:end] if c["cell_type"] == "code"]
    assert len(summary) <= 1, f"{path.name}: at most the cell that prints the summary between it and the checks"
