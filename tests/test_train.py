"""Training wrappers on the embedded model: an interrupted GRPO run resumes from its last checkpoint."""
import pytest
from transformers import TrainerCallback

import gtalign_lite as gl
from gtalign_lite import train as tr

pytestmark = pytest.mark.slow

P = dict(seed=0, save_steps=1, grpo_batch_size=2, num_generations=2, max_completion_length=12, grpo_steps=3,
         grpo_lr=1e-4, grpo_beta=0.0, temperature=1.0, sft_batch_size=2, sft_grad_accum=1, sft_epochs=1, sft_lr=1e-3,
         max_seq_length=512)


class Interrupt(TrainerCallback):
    """Stops the run right after the checkpoint of step `at` is written, like a closed laptop."""

    def __init__(self, at):
        self.at = at

    def on_save(self, args, state, control, **kwargs):
        if state.global_step >= self.at:
            raise KeyboardInterrupt(f"simulated interruption after step {state.global_step}")


def dataset():
    return tr.grpo_dataset(gl.offline_items("train", 2, prompt_style="compact"), gl.RuleJudge())


def test_interrupted_grpo_resumes_from_last_checkpoint(tmp_path):
    out = tmp_path / "grpo"
    model, tok = gl.load_model("embedded", P)
    with pytest.raises(KeyboardInterrupt):
        tr.grpo(model, tok, dataset(), gl.RewardFunctions(gl.RuleJudge()), out, P, callbacks=[Interrupt(2)])
    assert tr.last_checkpoint(out).endswith("checkpoint-2")
    model, tok = gl.load_model("embedded", P)  # a fresh process would start like this
    rewards = gl.RewardFunctions(gl.RuleJudge())
    trainer = tr.grpo(model, tok, dataset(), rewards, out, P)
    assert trainer.state.global_step == 3
    assert len(rewards.history) == 6  # steps 1-2's four completions put back from the checkpoint, step 3's two new
    log = tr.log_frame(trainer)
    assert list(log["step"]) == [1, 2, 3]  # history of steps 1-2 restored from the checkpoint
    assert "rewards/welfare/mean" in log and "completions/mean_length" in log
    # run again once finished (a notebook re-executed, nbval): loaded from checkpoint-3, no fourth step
    import torch
    from safetensors.torch import load_file

    model, tok = gl.load_model("embedded", P)
    rewards = gl.RewardFunctions(gl.RuleJudge())
    again = tr.grpo(model, tok, dataset(), rewards, out, P)
    assert again.state.global_step == 3 and list(tr.log_frame(again)["step"]) == [1, 2, 3]
    assert len(rewards.history) == 6  # nothing generated again; the reward log of all three steps put back
    saved = load_file(str(out / "checkpoint-3" / "adapter_model.safetensors"))
    mine = {n: p for n, p in again.model.named_parameters() if "lora_" in n}
    assert len(saved) == len(mine) > 0
    for name, value in saved.items():  # the checkpoint's LoRA weights, not the fresh adapter's
        match = [p for n, p in mine.items() if n.replace(".default", "").endswith(name.split("base_model.model.")[-1])]
        assert len(match) == 1 and torch.equal(match[0].detach().cpu(), value)


def test_sft_trains_on_completion_and_logs(tmp_path):
    model, tok = gl.load_model("embedded", P)
    items = gl.offline_items("train", 1, prompt_style="compact")
    trainer = tr.sft(model, tok, gl.sft_dataset(items), tmp_path / "sft", P)
    log = tr.log_frame(trainer)
    assert trainer.state.global_step == 2 and log["loss"].notna().all()
    assert tr.last_checkpoint(tmp_path / "sft").endswith("checkpoint-2")


def test_truncated_checkpoint_falls_back_and_other_settings_stop(tmp_path, capsys):
    """A kill mid-save cut checkpoint-2's adapter: resume from checkpoint-1 and say so; then a re-run with another
    learning rate (plain papermill -p grpo_lr) stops with a message instead of returning the old model."""
    out = tmp_path / "grpo"
    model, tok = gl.load_model("embedded", P)
    with pytest.raises(KeyboardInterrupt):
        tr.grpo(model, tok, dataset(), gl.RewardFunctions(gl.RuleJudge()), out, P, callbacks=[Interrupt(2)])
    weights = out / "checkpoint-2" / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    model, tok = gl.load_model("embedded", P)
    rewards = gl.RewardFunctions(gl.RuleJudge())
    trainer = tr.grpo(model, tok, dataset(), rewards, out, P)
    said = capsys.readouterr().out
    assert f"{weights} is damaged" in said and "resuming from checkpoint-1" in said
    assert trainer.state.global_step == 3 and list(tr.log_frame(trainer)["step"]) == [1, 2, 3]
    assert len(rewards.history) == 6 and (out / "damaged-checkpoint-2").is_dir()
    model, tok = gl.load_model("embedded", P)
    with pytest.raises(RuntimeError, match=r"other settings \(learning_rate 0.0001 there, 0.001 now\)"):
        tr.grpo(model, tok, dataset(), gl.RewardFunctions(gl.RuleJudge()), out, {**P, "grpo_lr": 1e-3})


def test_training_params_are_read_from_a_notebooks_parameters_with_their_types():
    from gtalign_lite.config import load_params

    P = load_params("smoke", {"sft_lr": 0.0005, "grpo_steps": 3, "scale_rewards": "none"})
    s, g = tr.SFTParams.from_params(P), tr.GRPOParams.from_params(P)
    assert (s.lr, s.epochs, s.batch_size) == (0.0005, P["sft_epochs"], P["sft_batch_size"])
    assert (g.steps, g.scale_rewards, g.num_generations) == (3, "none", P["num_generations"])
    with pytest.raises(KeyError):
        tr.SFTParams.from_params({"seed": 0})  # a missing parameter is named, not defaulted
