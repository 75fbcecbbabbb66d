"""scripts/gpu_check.py in its reduced CPU mode: every stage of the GPU check runs (or says why it cannot here) on
tiny random Qwen2 shapes with a bitsandbytes 4-bit base, and its numbers say what they should."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("bitsandbytes", reason="pip install -c constraints.txt bitsandbytes (in the test extra)")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from transformers import AutoTokenizer

    from gtalign_lite.models import embedded_model_dir

    folder = tmp_path_factory.mktemp("gpu-check")
    out, tok = folder / "report.json", folder / "tokenizer"  # a saved tokenizer, as scripts/gpu_bundle.py ships it
    AutoTokenizer.from_pretrained(str(embedded_model_dir())).save_pretrained(tok)
    stages = "install,load_4bit_lora,adapter_save_reload,unmerged_vs_merged,sft_fp16,grpo_fp16,sft_bf16,grpo_bf16," \
             "vllm_rollouts"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_check.py"), "--cpu-smoke", "--stages", stages,
                           "--tokenizer", str(tok), "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return json.loads(out.read_text())


def test_every_stage_is_reported_and_none_failed(report):
    stages = {"install", "make_model", "load_4bit_lora", "adapter_save_reload", "unmerged_vs_merged", "sft_fp16",
              "grpo_fp16", "sft_bf16", "grpo_bf16", "vllm_rollouts"}
    assert stages <= set(report)
    assert all(report[s]["status"] in ("ok", "skipped") for s in stages)
    assert report["sft_fp16"]["why"] == "fp16 mixed precision needs a GPU" and "GPU" in report["vllm_rollouts"]["why"]


def test_4bit_base_and_adapter_round_trip(report):
    load = report["load_4bit_lora"]["result"]
    assert load["quantised"] is True and load["linear"] == "Linear4bit"
    assert report["adapter_save_reload"]["result"]["same"] is True


def test_merge_into_4bit_loses_the_update_the_attached_path_keeps(report):
    r = report["unmerged_vs_merged"]["result"]
    assert r["attached_differs_from_base"] and r["lora_logit_change_rms"] > 0
    assert r["merged_kept_cosine"] < 0.5 and r["merged_kept_relative_error"] > 0.5  # as the audit measured (~0)
    assert r["greedy_tokens"] == 8


def test_one_sft_and_one_grpo_step_in_bf16(report):
    sft, grpo = report["sft_bf16"]["result"], report["grpo_bf16"]["result"]
    assert sft["steps"] == 1 and sft["bf16"] is True and sft["fp16"] is False
    assert grpo["steps"] == 1 and grpo["bf16"] is True and grpo["rollouts"] == "transformers"
    assert grpo["seconds"] > 0


def test_forced_closing_replies_give_the_grpo_step_a_gradient(report):
    """Half of each group is forced to a closed reply (reward > 0), half never closes (reward 0): a group of two with
    rewards r and 0 has mean r/2 and a standard deviation > 0, so the loss and the gradient are not zero."""
    grpo = report["grpo_bf16"]["result"]
    assert grpo["reward_mean"] > 0 and grpo["reward_std"] > 0
    assert grpo["loss"] != 0 and 0 < grpo["grad_norm"] < float("inf") and grpo["fp16_overflow"] is False
    assert grpo["completion_mean_length"] < 256  # the forced reply ended with EOS before the cap


def test_the_report_is_written_after_each_stage_and_only_chosen_stages_run(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "scripts" / "gpu_check.py")
    gc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gc)
    out = tmp_path / "report.json"
    check = gc.Check(15.0, False, out, stages=["install", "sft_bf16"])
    check.stage("install", lambda: {"torch": "x"})
    assert json.loads(out.read_text()) == {"install": {"status": "ok", "result": {"torch": "x"}, "seconds": 0.0}}
    assert check.stage("grpo_bf16", lambda: 1 / 0) is None and "grpo_bf16" not in json.loads(out.read_text())
    check.stage("sft_bf16", lambda: 1 / 0)  # a failure is recorded, and written, too
    assert json.loads(out.read_text())["sft_bf16"]["error"] == "ZeroDivisionError: division by zero"


def test_an_unknown_stage_is_named():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_check.py"), "--cpu-smoke", "--stages", "sft"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "unknown stage(s) sft" in done.stderr


def test_without_a_gpu_it_says_to_use_cpu_smoke():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_check.py")], capture_output=True, text=True)
    assert done.returncode == 2 and "--cpu-smoke" in done.stderr
