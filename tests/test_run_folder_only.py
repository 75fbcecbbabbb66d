"""The notebooks runner (`make notebooks-run`) writes into its run folder only: committed figures change when asked (--figures), and notebooks
executed in a run folder can be stored back into notebooks/ without running again (--store-from)."""
import nbformat
import pytest

from gtalign_lite import runner


def _fake_run_folder(tmp_path, monkeypatch):
    """A run folder as a finished 05 leaves it (a plot and a table), papermill replaced by a no-op."""
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", lambda src, dst, **kw: None)
    monkeypatch.setattr(runner, "FIGURES", tmp_path / "figures")
    run_dir = tmp_path / "r"
    (run_dir / "eval").mkdir(parents=True)
    (run_dir / "eval" / "results_ci.csv").write_text("method,W\nsft,0.5\n")
    (run_dir / "figures").mkdir()
    (run_dir / "figures" / "05_actions.png").write_bytes(b"png")
    return run_dir


def test_a_run_leaves_the_committed_figures_alone_by_default(tmp_path, monkeypatch):
    run_dir = _fake_run_folder(tmp_path, monkeypatch)
    runner.run("smoke", str(run_dir), ["05_evaluation"], report=False)
    assert not (tmp_path / "figures").exists()


def test_the_command_line_copies_figures_only_with_the_flag(tmp_path, monkeypatch):
    run_dir = _fake_run_folder(tmp_path, monkeypatch)
    runner.main(["--profile", "smoke", "--run-dir", str(run_dir), "--only", "05_evaluation"])
    assert not (tmp_path / "figures").exists()
    runner.main(["--profile", "smoke", "--run-dir", str(run_dir), "--only", "05_evaluation", "--fresh", "--figures"])
    assert (tmp_path / "figures" / "smoke" / "results_ci.csv").read_text() == "method,W\nsft,0.5\n"
    assert (tmp_path / "figures" / "smoke" / "05_actions.png").read_bytes() == b"png"


def _executed(path, text, papermill=True):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)", metadata={"papermill": {}}),
                                         nbformat.v4.new_code_cell("x = 2", metadata={"tags": ["injected-parameters"]})])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    if papermill:
        nb.metadata["papermill"] = {"duration": 1}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def test_store_from_writes_the_run_folders_executed_notebooks_back_cleaned(tmp_path):
    run_dir, target = tmp_path / "runs" / "prereg" / "seed-0", tmp_path / "notebooks"
    target.mkdir()
    _executed(run_dir / "notebooks" / "03_sft.ipynb", "format 0.99\n")
    _executed(run_dir / "notebooks" / "04_grpo_welfare-cobb_douglas.ipynb", "W 0.55\n")
    written = runner.store_executed(run_dir, ["03_sft", "04_grpo_welfare"], notebooks=target)
    assert [p.name for p in written] == ["03_sft.ipynb", "04_grpo_welfare.ipynb"]
    sft = nbformat.read(target / "03_sft.ipynb", as_version=4)
    assert sft.cells[0].outputs[0]["text"] == "format 0.99\n"  # the run's own output
    assert len(sft.cells) == 1 and "papermill" not in sft.metadata  # injected cell and papermill metadata gone
    assert nbformat.read(target / "04_grpo_welfare.ipynb", as_version=4).cells[0].outputs[0]["text"] == "W 0.55\n"


def test_store_from_names_a_notebook_the_run_folder_lacks_or_holds_twice(tmp_path):
    run_dir = tmp_path / "r"
    _executed(run_dir / "notebooks" / "04_grpo_welfare-linear.ipynb", "a\n")
    _executed(run_dir / "notebooks" / "04_grpo_welfare-user.ipynb", "b\n")
    with pytest.raises(ValueError, match="no executed 05_evaluation"):
        runner.store_executed(run_dir, ["05_evaluation"], notebooks=tmp_path)
    with pytest.raises(ValueError, match="several executed copies of 04_grpo_welfare"):
        runner.store_executed(run_dir, ["04_grpo_welfare"], notebooks=tmp_path)
