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
    part = text[text.index("## What reproduced"):text.index("## The first pre-registered experiment")]
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
    assert "**Stored outputs:**" in opening and (any(f"`{p}`" in stored for p in ("smoke", "cpu", "colab_t4", "reproduce"))
                                                 or "does not depend on a profile" in stored), path.name
    heads = [(i, "".join(c["source"]).lstrip()) for i, c in enumerate(cells) if c["cell_type"] == "markdown"]
    learned = [i for i, t in heads if t.startswith("## What we learned")]
    checks = [i for i, t in heads if t.startswith("## Checks")]
    assert len(learned) == 1, f"{path.name}: one 'What we learned' section"
    assert all(i > learned[0] for i in checks), f"{path.name}: the checks come after 'What we learned'"
    end = checks[0] if checks else len(cells)
    summary = [c for c in cells[learned[0] + 1:end] if c["cell_type"] == "code"]
    assert len(summary) <= 1, f"{path.name}: at most the cell that prints the summary between it and the checks"


# Quantities that several pages state, each with its one source (a committed CSV or times.csv) and the phrases that
# state it. A stated value must round to the source's at the precision written ("about 9.4 h": within 0.05 h; "34000
# s": within 500 s), so that no two pages give different values for it.
NOTEBOOK_MD = sorted((ROOT / "notebooks").rglob("*.ipynb"))
TEXTS = [*PAGES, ROOT / "binder" / "README.md", *NOTEBOOK_MD]


def _seed_1_seconds(*stages) -> float:
    import pandas as pd

    t = pd.read_csv(ROOT / "figures" / "prereg" / "seed-1" / "done" / "times.csv")
    names = t.stage.str.split(":").str[0]
    return float(t.seconds[names.isin(stages) if stages else slice(None)].sum())


def _authors_cd_win_win() -> float:
    import pandas as pd

    t = pd.read_csv(ROOT / "figures" / "reference_runs" / "harmful_outcomes.csv")
    t = t[t.reward == "cobb_douglas"]
    return float(t.win_win[t.step == t.step.max()].iloc[0])


def _smoke_peak_gib() -> float:
    import pandas as pd

    return float(pd.read_csv(ROOT / "bench" / "smoke_times.csv").peak_gib.max())


def _main_job_seconds() -> float:
    import pandas as pd

    return float(pd.read_csv(ROOT / "figures" / "reproduce" / "writing" / "seed-0" / "times.csv").seconds.sum())


# name -> (source, value from it, [(phrase with one number group, factor from the written unit to the source's)])
QUANTITIES = {
    "the authors' Cobb-Douglas win-win share at the last step": (
        "figures/reference_runs/harmful_outcomes.csv", _authors_cd_win_win,
        [(r"authors' Cobb-Douglas run: (\d+\.\d+)", 1), (r"Cobb-Douglas model gives a win-win reply to (\d+\.\d+)", 1),
         (r"win-win on harmful requests(?: \|)+ no: (\d+)%", 0.01)]),
    "smoke profile's peak RSS (GiB)": (
        "bench/smoke_times.csv", _smoke_peak_gib,
        [(r"smoke (\d+\.\d+) GiB", 1), (r"(\d+\.\d+) GiB peak RSS of a notebook kernel and its children \(03\)", 1),
         (r"peaks at (\d+\.\d+) GiB on `smoke`", 1), (r"and 03 \(SFT\) above it \((\d+\.\d+) GiB\)", 1)]),
    "one seed of the first pre-registered experiment's arm A (h)": (
        "figures/prereg/seed-1/done/times.csv", lambda: _seed_1_seconds() / 3600,
        [(r"`make reproduce` takes about (\d+(?:\.\d+)?) h on 2 cores", 1), (r"plan on about (\d+) s of wall time", 1 / 3600),
         (r"about (\d+) s \(\d+\.\d h\) for one seed", 1 / 3600), (r"about \d+ s \((\d+\.\d) h\) for one seed", 1)]),
    "the main job's stages summed (s)": (
        "figures/reproduce/writing/seed-0/times.csv", _main_job_seconds,
        [(r"stages (\d+) s summed", 1), (r"(\d+) s of stages summed", 1)]),
    "its SFT (h)": ("figures/prereg/seed-1/done/times.csv", lambda: _seed_1_seconds("03_sft") / 3600,
                    [(r"on 2 cores \(SFT (\d+\.\d+) h", 1)]),
    "its 48 GRPO steps (h)": ("figures/prereg/seed-1/done/times.csv",
                              lambda: _seed_1_seconds("04_grpo_welfare-cobb_douglas") / 3600,
                              [(r"SFT \d+\.\d+ h, 48 GRPO steps (\d+\.\d+) h", 1)]),
    "its evaluation (h)": ("figures/prereg/seed-1/done/times.csv", lambda: _seed_1_seconds("05_evaluation") / 3600,
                           [(r"48 GRPO steps \d+\.\d+ h, evaluation (\d+\.\d+) h", 1)]),
}


def text_of(path: Path) -> str:
    """A page's text, its line breaks as spaces; for a notebook, its markdown cells (what a reader sees as prose)."""
    text = path.read_text()
    if path.suffix == ".ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "markdown")
    return re.sub(r"\s+", " ", text)


def precision(written: str) -> float:
    """Half a unit of the last digit written: '9.4' -> 0.05, '9' -> 0.5, '34000' -> 500 (trailing zeros round)."""
    if "." in written:
        return 0.5 * 10 ** -len(written.split(".")[1])
    return 0.5 * 10 ** (len(written) - len(written.rstrip("0")))


def statements(phrases, texts) -> list[tuple[str, str, str, float]]:
    """(page, written number, phrase, unit factor) for each place a page states the quantity."""
    return [(str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else p.name, m.group(1), m.group(0), factor)
            for p in texts for phrase, factor in phrases for m in re.finditer(phrase, text_of(p))]


def disagreements(value: float, phrases, texts) -> list[str]:
    return [f"{page}: '{said}' (the source gives {value:.4g})" for page, written, said, f in statements(phrases, texts)
            if abs(float(written) * f - value) > precision(written) * f + 1e-9]


@pytest.mark.parametrize("name", QUANTITIES)
def test_no_two_pages_give_different_values_for_the_same_quantity(name):
    source, value, phrases = QUANTITIES[name]
    assert statements(phrases, TEXTS), f"no page states {name} any more: update QUANTITIES"
    wrong = disagreements(value(), phrases, TEXTS)
    assert not wrong, f"{name} is {value():.4g} in {source}; pages that say otherwise: " + "; ".join(wrong)


def test_the_consistency_check_reads_precision_and_units_as_written(tmp_path):
    assert precision("9.4") == 0.05 and precision("9") == 0.5 and precision("34000") == 500 and precision("8") == 0.5
    page = tmp_path / "p.md"
    page.write_text("the authors' Cobb-Douglas run: 0.083; | win-win on harmful requests | | | | no: 8% (llm run 72%) |\n"
                    "and elsewhere the authors' Cobb-Douglas run: 0.048\n")
    phrases = QUANTITIES["the authors' Cobb-Douglas win-win share at the last step"][2]
    wrong = disagreements(0.0828, [(p, f) for p, f in phrases], [page])
    assert [w.split(": ", 1)[1] for w in wrong] == ["'authors' Cobb-Douglas run: 0.048' (the source gives 0.0828)"]


CPU_HEADER = re.compile(r"^\| cpu \| ~?(\d+) min \|", re.M)


@pytest.mark.xfail(strict=True, reason="notebooks 01-06's headers still give the first suite design's cpu times "
                   "(~3-20 min per notebook); their cells are edited with issue 36's profile: set each header's cpu row "
                   "from figures/prereg/seed-1/done/times.csv (or the new profile's times.csv) and remove this mark")
def test_notebook_headers_cpu_times_agree_with_the_records():
    seconds = {"03_sft": _seed_1_seconds("03_sft"), "04_grpo_welfare": _seed_1_seconds("04_grpo_welfare-cobb_douglas"),
               "05_evaluation": _seed_1_seconds("05_evaluation")}
    wrong = []
    for name, secs in seconds.items():
        head = "".join(json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"][0]["source"])
        found = CPU_HEADER.search(head)
        if found and abs(int(found.group(1)) - secs / 60) > max(5, 0.2 * secs / 60):
            wrong.append(f"{name}: ~{found.group(1)} min, the records {secs / 60:.0f} min")
    assert not wrong, "; ".join(wrong)


def test_results_opens_with_a_short_summary_and_puts_the_newest_experiment_first():
    text = (ROOT / "docs" / "results.md").read_text()
    summary = text[text.index("\n") + 1:text.index("\n## ")].strip().splitlines()
    assert 3 <= len(summary) <= 10, f"the summary above the first section has {len(summary)} lines"
    sections = re.findall(r"^## (.+)$", text, re.M)
    order = ["Second pre-registered experiment", "First pre-registered experiment", "The first suite design"]
    found = [next(i for i, s in enumerate(sections) if s.startswith(o)) for o in order]
    assert found == sorted(found) and found[0] == 0, f"sections out of order: {sections}"
