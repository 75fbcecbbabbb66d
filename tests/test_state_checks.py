"""Saved state is checked before it is reused: damaged checkpoints and adapters are named (and skipped where an
earlier checkpoint exists), checkpoints trained with other settings are not resumed, caches follow file contents."""
import json
import os
from types import SimpleNamespace

import pandas as pd
import pytest
import torch
from datasets import Dataset
from safetensors.torch import save_file

from gtalign_lite import evaluate as ev, models, runs
from gtalign_lite import train as tr


def checkpoint(folder, step: int):
    """A checkpoint folder as transformers writes one: adapter weights, optimiser archive, trainer state."""
    folder.mkdir(parents=True)
    save_file({"lora_A": torch.arange(64.0).reshape(8, 8)}, str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"r": 8}))
    torch.save({"state": {0: torch.zeros(64)}}, folder / "optimizer.pt")
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step, "log_history": []}))
    return folder


def cut(path, keep: int = 100):
    """Truncate a file to its first `keep` bytes, as a kill in the middle of a save leaves it."""
    path.write_bytes(path.read_bytes()[:keep])


@pytest.mark.parametrize("name, keep", [("adapter_model.safetensors", 100), ("adapter_model.safetensors", 4),
                                        ("optimizer.pt", 300), ("trainer_state.json", 0)])
def test_a_file_cut_short_is_named(tmp_path, name, keep):
    ckpt = checkpoint(tmp_path / "checkpoint-1", 1)
    assert runs.damaged(ckpt) is None
    cut(ckpt / name, keep)
    problem = runs.damaged(ckpt)
    assert problem.startswith(f"{ckpt / name} is damaged")


def test_a_flipped_byte_in_a_torch_archive_is_found(tmp_path):
    ckpt = checkpoint(tmp_path / "checkpoint-1", 1)
    data = bytearray((ckpt / "optimizer.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (ckpt / "optimizer.pt").write_bytes(bytes(data))
    assert runs.damaged(ckpt).startswith(f"{ckpt / 'optimizer.pt'} is damaged")


def test_missing_required_file_is_named(tmp_path):
    ckpt = checkpoint(tmp_path / "checkpoint-1", 1)
    (ckpt / "trainer_state.json").unlink()
    assert runs.damaged(ckpt, required=("trainer_state.json",)) == f"{ckpt} lacks trainer_state.json"


def test_resume_falls_back_to_the_previous_checkpoint(tmp_path, capsys):
    checkpoint(tmp_path / "checkpoint-1", 1)
    checkpoint(tmp_path / "checkpoint-2", 2)
    cut(tmp_path / "checkpoint-2" / "adapter_model.safetensors")
    assert tr.last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-1")
    said = capsys.readouterr().out
    assert str(tmp_path / "checkpoint-2" / "adapter_model.safetensors") in said and "resuming from checkpoint-1" in said
    assert (tmp_path / "damaged-checkpoint-2").is_dir() and not (tmp_path / "checkpoint-2").exists()
    assert tr.last_checkpoint(tmp_path) == str(tmp_path / "checkpoint-1")  # the trainer will not see it again


def test_no_intact_checkpoint_says_what_to_do(tmp_path):
    checkpoint(tmp_path / "checkpoint-3", 3)
    (tmp_path / "checkpoint-3" / "trainer_state.json").write_text("")
    with pytest.raises(RuntimeError) as e:
        tr.last_checkpoint(tmp_path)
    assert str(tmp_path / "checkpoint-3" / "trainer_state.json") in str(e.value) and "--fresh" in str(e.value)
    assert (tmp_path / "checkpoint-3").is_dir()  # nothing moved: the user decides
    assert tr.last_checkpoint(tmp_path / "nothing-here") is None


def test_a_damaged_adapter_stops_loading_with_its_path(tmp_path):
    adapter = checkpoint(tmp_path / "sft" / "adapter", 1)
    cut(adapter / "adapter_model.safetensors")
    with pytest.raises(models.ModelSetupError, match=r"adapter_model.safetensors is damaged.*--fresh"):
        models.load_model("embedded", {"device": "cpu"}, adapter=str(adapter))
    (adapter / "adapter_config.json").unlink()
    with pytest.raises(models.ModelSetupError, match="lacks adapter_config.json"):
        models.load_model("embedded", {"device": "cpu"}, adapter=str(adapter))


def test_evaluation_cache_sees_an_adapter_rewritten_in_place(run_folder, tmp_path, monkeypatch):
    """Same size, same file and folder mtimes, other bytes: the cached rows must not be reused."""
    calls = []
    monkeypatch.setattr(ev, "evaluate", lambda model, tok, items, *a, **kw: calls.append(1) or pd.DataFrame(
        {"method": "sft", "id": [it["id"] for it in items]}))
    adapter = checkpoint(tmp_path / "sft" / "adapter", 1)
    weights = adapter / "adapter_model.safetensors"
    P = {"seed": 0, "reward_variant": "cobb_douglas", "eval_max_new_tokens": 8, "eval_batch_size": 2}
    items = [{"id": "a", "eval_set": "suite"}]
    ev.evaluate_method(run_folder, "sft", items, None, P, lambda a: ("model", "tok"))
    ev.evaluate_method(run_folder, "sft", items, None, P, lambda a: ("model", "tok"))
    assert len(calls) == 1  # unchanged: reused
    stamps = [(p, p.stat()) for p in (weights, adapter)]
    save_file({"lora_A": torch.arange(64.0).reshape(8, 8) + 1}, str(weights))
    for p, st in stamps:
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    ev.evaluate_method(run_folder, "sft", items, None, P, lambda a: ("model", "tok"))
    assert len(calls) == 2


def test_content_hash_follows_bytes_and_names(tmp_path):
    (tmp_path / "a").write_bytes(b"x")
    first = runs.content_hash(tmp_path)
    (tmp_path / "a").write_bytes(b"y")
    second = runs.content_hash(tmp_path)
    (tmp_path / "a").rename(tmp_path / "b")
    assert len({first, second, runs.content_hash(tmp_path)}) == 3


class FakeTrainer:
    """What train_or_load reads of a transformers Trainer, and what it calls."""

    def __init__(self, lr=1e-5, max_steps=2, rows=("p1", "p2")):
        self.args = SimpleNamespace(learning_rate=lr, max_steps=max_steps, seed=0, temperature=1.0)
        self.train_dataset = Dataset.from_list([{"prompt": r} for r in rows])
        torch.manual_seed(0)
        self.model = torch.nn.Linear(2, 2)
        self.calls, self.callbacks = [], []
        self.callback_handler = SimpleNamespace(callbacks=self.callbacks)

    def _load_from_checkpoint(self, ckpt):
        self.calls.append(("load", ckpt))

    def train(self, resume_from_checkpoint=None):
        self.calls.append(("train", resume_from_checkpoint))


def test_finished_run_with_other_settings_is_not_returned(tmp_path):
    """papermill 04 -p grpo_lr 0.001 into a folder finished at 1e-05 once returned the old model with exit 0."""
    first = FakeTrainer(lr=1e-5)
    tr.train_or_load(first, tmp_path)
    assert first.calls == [("train", None)]
    checkpoint(tmp_path / "checkpoint-2", 2)
    same = FakeTrainer(lr=1e-5)
    tr.train_or_load(same, tmp_path)
    assert same.calls == [("load", str(tmp_path / "checkpoint-2"))]  # finished with these settings: loaded
    for other, what in [(FakeTrainer(lr=1e-3), "learning_rate 1e-05 there, 0.001 now"),
                        (FakeTrainer(max_steps=4), "max_steps 2 there, 4 now"),
                        (FakeTrainer(rows=("p1", "p3")), "train_rows")]:
        with pytest.raises(RuntimeError, match="holds checkpoints trained with other settings") as e:
            tr.train_or_load(other, tmp_path)
        assert what in str(e.value) and other.calls == []
    fresh = FakeTrainer(lr=1e-3)
    tr.train_or_load(fresh, tmp_path, resume=False)  # --fresh-like: trains, and records the new settings
    assert fresh.calls == [("train", None)]
    assert json.loads((tmp_path / tr.FINGERPRINT).read_text())["learning_rate"] == 1e-3


def test_reward_log_is_kept_with_each_checkpoint_and_put_back(tmp_path):
    """GRPO's per-completion rewards (rewards.csv) cover every step after a resume, not only the last sitting's."""
    class Rewards:
        def __init__(self):
            self.history = []

    first, owner = FakeTrainer(), Rewards()
    first.reward_funcs = [SimpleNamespace(owner=owner), SimpleNamespace(owner=owner)]
    tr.train_or_load(first, tmp_path)
    assert len(first.callbacks) == 1  # one callback for the one shared history
    owner.history.extend([{"welfare": 0.5, "step": 1}, {"welfare": float("nan"), "step": 1}])
    checkpoint(tmp_path / "checkpoint-1", 1)
    first.callbacks[0].on_save(first.args, SimpleNamespace(global_step=1), None)
    assert runs.damaged(tmp_path / "checkpoint-1") is None
    later, owner2 = FakeTrainer(), Rewards()
    later.reward_funcs = [SimpleNamespace(owner=owner2)]
    tr.train_or_load(later, tmp_path)
    assert later.calls == [("train", str(tmp_path / "checkpoint-1"))]
    assert owner2.history[0] == {"welfare": 0.5, "step": 1} and owner2.history[1]["step"] == 1
    assert len(owner2.history) == 2


def test_a_damaged_done_marker_is_named(run_folder):
    run_folder.mark_done("03_sft", {"seed": 0})
    assert run_folder.is_done("03_sft", {"seed": 0})
    run_folder.done_path("03_sft").write_text('{"seed": ')
    with pytest.raises(ValueError, match=r"03_sft.json is damaged .*delete it, and 03_sft runs again"):
        run_folder.is_done("03_sft", {"seed": 0})
