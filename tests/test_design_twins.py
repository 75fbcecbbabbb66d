"""The notebooks' second design (design = "twins"): the `%%design` cell magic runs a cell only in its own design and
fails the notebook when that cell fails; the twins splits hold whole twin pairs with no question in two splits; nbval's
copies run a real-run notebook at its smoke counterpart; the main job's profile and that counterpart differ only in
the run folder and the experiment's size, so nbval's strict cells compare like with like."""
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from conftest import NB, ROOT
from gtalign_lite import prereg2, schema, stored, suite


def _run(cells: list[str], allow_errors=False):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, kernel_name="python3", allow_errors=allow_errors, timeout=120).execute()
    return [[o.get("text") or o.get("data", {}).get("text/plain") or o.get("ename") for o in c.outputs] for c in nb.cells]


def test_a_cell_runs_only_in_its_own_design_and_its_result_is_shown():
    out = _run([f"import sys; sys.path.insert(0, {str(ROOT)!r})\nfrom gtalign_lite.config import design_magic\n"
                "design_magic('twins')",
                "%%design twins\nx = 41\nprint('ran')\nx + 1",
                "%%design first\nprint('the first design')\nx = 0",
                "print(x)"])
    assert out[1] == ["ran\n", "42"] and out[2] == [] and out[3] == ["41\n"]


def test_a_failing_cell_of_the_design_fails_the_notebook():
    setup = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\nfrom gtalign_lite.config import design_magic\n"
             "design_magic('first')")
    with pytest.raises(CellExecutionError, match="AssertionError"):
        _run([setup, "%%design first\nassert 1 == 2", "print('not reached')"])
    with pytest.raises(CellExecutionError, match="ValueError"):
        _run([setup, "%%design second\nprint(1)"])  # a design that does not exist


def test_twin_splits_hold_whole_pairs_and_no_question_in_two_splits():
    splits = prereg2.splits("writing", 0)
    assert suite.split_table(splits)[1] == 0
    for items in splits.values():
        pairs = {}
        for it in items:
            pairs.setdefault(it["pair"], []).append(it["question_type"])
        assert all(sorted(t) == ["DQ", "VQ"] for t in pairs.values())
        assert all(it["prompt"][-1]["content"] == it["question"] for it in items)  # the request alone
        assert len({it["uid"] for it in items}) == len(items)


def test_nbval_copies_run_a_real_run_notebook_at_its_smoke_profile(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("01_data", "07_reference_runs"):
        (src / f"{name}.ipynb").write_bytes((NB / f"{name}.ipynb").read_bytes())
    written = stored.nbval_copies(src, tmp_path / "out", {"01_data": {"smoke_profile": "smoke_twins"}, "07_reference_runs": {}})
    assert [p.name for p in written] == ["01_data.ipynb", "07_reference_runs.ipynb"]
    cell = lambda p: next(c for c in nbformat.read(p, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    assert cell(written[0]).source.splitlines()[0].startswith('profile = "smoke_twins"')
    assert cell(written[0]).source.splitlines()[1:] == cell(src / "01_data.ipynb").source.splitlines()[1:]
    assert cell(written[1]).source == cell(src / "07_reference_runs.ipynb").source


def test_the_main_jobs_profile_and_its_smoke_counterpart_differ_only_in_size_and_folder():
    reproduce, smoke = schema.load_profile("reproduce"), schema.load_profile("smoke_twins")
    differ = {k for k in reproduce.keys() | smoke.keys() if reproduce.get(k) != smoke.get(k)}
    assert differ == {"profile", "run_dir", "experiment"}
    assert {n for n, e in stored.declared(NB).items() if e.get("smoke_profile") == "smoke_twins"} == set(schema.ALL[:6])
