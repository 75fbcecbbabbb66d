"""Checkpoints that do not fill Google Drive: with GTALIGN_LOCAL_CHECKPOINTS set, training writes to local disk, only
the newest checkpoint is copied to the (here fake) Drive folder, older copies there are emptied before they are
deleted, and a new session (local disk gone) resumes from Drive. The GPU's 8-bit optimiser, with a GPU mocked."""
import os

import pytest

from gtalign_lite import train

torch = pytest.importorskip("torch")


def tiny_trainer(out_dir, steps: list, stop_at: int = 0):
    """A transformers Trainer for 5 steps on a one-layer random Llama (same weights every call), saving every step;
    stop_at: the session ends after that step (a disconnect)."""
    from datasets import Dataset
    from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainerCallback, TrainingArguments

    class Count(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            steps.append(state.global_step)
            if state.global_step == stop_at:
                control.should_training_stop = True

    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                         num_attention_heads=2, num_key_value_heads=1))
    rows = Dataset.from_list([{"input_ids": [1, 2, 3, 4], "labels": [1, 2, 3, 4]}] * 8)
    args = TrainingArguments(output_dir=str(out_dir), max_steps=5, save_strategy="steps", save_steps=1,
                             save_total_limit=2, per_device_train_batch_size=2, use_cpu=True, report_to="none",
                             logging_steps=1, seed=0, disable_tqdm=True)
    return Trainer(model=model, args=args, train_dataset=rows, callbacks=[Count()])


def checkpoints(folder):
    return sorted(p.name for p in folder.iterdir() if "checkpoint" in p.name)


def test_only_the_newest_checkpoint_reaches_drive_and_a_new_session_resumes_from_it(tmp_path, monkeypatch, capsys):
    drive, local = tmp_path / "drive" / "MyDrive" / "run" / "sft", tmp_path / "content" / "checkpoints"
    monkeypatch.setenv(train.LOCAL_CHECKPOINTS, str(local))
    first = []
    train.train_or_load(tiny_trainer(drive, first, stop_at=3), drive)
    assert first == [1, 2, 3]
    assert checkpoints(drive) == ["checkpoint-3"] and (drive / train.FINGERPRINT).exists()
    (mirror,) = local.iterdir()
    assert checkpoints(mirror) == ["checkpoint-2", "checkpoint-3"]  # rotation happens on local disk
    kept = tmp_path / "what-the-trash-keeps"  # a second name for one of Drive's files: sees its truncation
    os.link(drive / "checkpoint-3" / "trainer_state.json", kept)
    assert kept.stat().st_size > 0

    for f in sorted(local.rglob("*"), reverse=True):  # a new session: the runtime's local disk is gone
        f.unlink() if f.is_file() else f.rmdir()
    again = []
    trainer = train.train_or_load(tiny_trainer(drive, again), drive)
    assert f"resuming from {drive / 'checkpoint-3'}" in capsys.readouterr().out
    assert again == [4, 5] and trainer.state.global_step == 5  # two steps more, not five
    assert checkpoints(drive) == ["checkpoint-5"]
    assert kept.stat().st_size == 0  # emptied before it was deleted: Drive's trash holds nothing of it

    for f in sorted(drive.rglob("*"), reverse=True):  # the runner removes the run's folder to train afresh
        f.unlink() if f.is_file() else f.rmdir()
    fresh = []
    train.train_or_load(tiny_trainer(drive, fresh), drive)
    assert fresh == [1, 2, 3, 4, 5]  # not resumed from the local copy of the removed run


def test_without_the_setting_checkpoints_stay_in_the_run_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(train.LOCAL_CHECKPOINTS, raising=False)
    out = tmp_path / "run" / "sft"
    train.train_or_load(tiny_trainer(out, []), out)
    assert checkpoints(out) == ["checkpoint-4", "checkpoint-5"]


@pytest.mark.parametrize("gpu, bf16, optim, fp16", [(True, False, "adamw_8bit", True), (True, True, "adamw_8bit", False),
                                                    (False, False, None, False)])
def test_gpu_training_uses_the_8bit_optimiser(monkeypatch, tmp_path, gpu, bf16, optim, fp16):
    from gtalign_lite import models

    monkeypatch.setattr(train, "_on_gpu", lambda device: gpu)
    monkeypatch.setattr(models, "native_bf16", lambda device="cpu": bf16)
    args = train._common(train.SFTParams(seed=0, batch_size=1, grad_accum=1, epochs=1, lr=1e-4, max_seq_length=64),
                         tmp_path)
    assert args.get("optim") == optim and args["fp16"] is fp16 and args["use_cpu"] is (not gpu)
