"""Every numeric parameter has a valid range, and validation stops a value outside it with the key and the range."""
import pytest

from gtalign_lite import config, schema

# Hand-listed from what each parameter means (not read from the schema): the smallest valid value, a value just
# below it, and the range the message must state. Counts and steps >= 1; a group needs >= 2 completions to have
# a relative advantage; rates and temperatures > 0; KL weight, prices, costs, seeds >= 0.
EXPECTED = {
    "seed": (0, -1, ">= 0"), "max_seq_length": (1, 0, ">= 1"), "lora_r": (1, 0, ">= 1"), "lora_alpha": (1, 0, ">= 1"),
    "n_train_per_family": (1, 0, ">= 1"), "n_test_per_family": (1, -2, ">= 1"), "n_val_per_family": (1, 0, ">= 1"),
    "paper_train_per_source": (1, 0, ">= 1"), "paper_test_per_source": (1, 0, ">= 1"),
    "paper_ood_per_source": (1, 0, ">= 1"), "prompting_items": (1, 0, ">= 1"), "prompting_max_new_tokens": (1, 0, ">= 1"),
    "sft_examples": (1, 0, ">= 1"), "sft_epochs": (1, 0, ">= 1"), "sft_lr": (1e-12, 0.0, "> 0"),
    "sft_batch_size": (1, 0, ">= 1"), "sft_grad_accum": (1, 0, ">= 1"), "sft_eval_items": (1, 0, ">= 1"),
    "save_steps": (1, 0, ">= 1"), "eval_max_new_tokens": (1, 0, ">= 1"), "eval_batch_size": (1, 0, ">= 1"),
    "grpo_steps": (1, 0, ">= 1"), "grpo_batch_size": (2, 1, ">= 2"), "num_generations": (2, 1, ">= 2"),
    "max_completion_length": (1, 0, ">= 1"), "grpo_lr": (1e-12, 0.0, "> 0"), "grpo_beta": (0.0, -0.1, ">= 0"),
    "temperature": (1e-6, 0.0, "> 0"), "eval_items_per_family": (1, 0, ">= 1"), "pricing_items": (1, 0, ">= 1"),
    "pricing_max_new_tokens": (1, 0, ">= 1"), "serving_cost": (0.0, -1.0, ">= 0"), "bootstrap_samples": (1, 0, ">= 1"),
}


def numeric(p: schema.Param) -> bool:
    """A parameter that holds numbers: an int/float type, or a list/dict default made of numbers."""
    types = p.allowed if isinstance(p.allowed, tuple) else (p.allowed,)
    if any(t in (int, float) for t in types if isinstance(t, type)):
        return True
    values = p.default.values() if isinstance(p.default, dict) else p.default if isinstance(p.default, list) else []
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def test_every_numeric_parameter_has_a_range():
    missing = [k for k, p in schema.SCHEMA.items() if numeric(p) and p.range is None]
    assert not missing, f"give these a range= in gtalign_lite/schema.py: {missing}"
    assert set(EXPECTED) | {"price_grid", "expected_tokens"} >= {k for k, p in schema.SCHEMA.items() if p.range}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_range_accepts_the_edge_and_rejects_just_outside(key):
    ok, bad, text = EXPECTED[key]
    assert str(schema.SCHEMA[key].range) == text
    other = {"num_generations": 2} if key == "grpo_batch_size" else {"grpo_batch_size": 2} if key == "num_generations" else {}
    assert schema.validate({key: ok, **other})[key] == ok
    with pytest.raises(ValueError) as e:
        schema.validate({key: bad, **other})
    assert str(e.value) == f"{key} must be {text}, got {bad!r}"


@pytest.mark.parametrize("key, value", [("grpo_steps", -1), ("grpo_steps", 0), ("n_test_per_family", -2),
                                        ("temperature", -1.0), ("num_generations", 1), ("grpo_lr", -1e-5)])
def test_the_red_team_values_stop_before_anything_runs(key, value):
    """The values that once trained 96 steps, hit a bare AssertionError, or failed deep in pandas/transformers."""
    with pytest.raises(ValueError, match=f"^{key} must be "):
        config.load_params("smoke", {key: value})


def test_lists_and_dicts_are_checked_element_by_element():
    assert schema.validate({"price_grid": [0, 2.5]})
    with pytest.raises(ValueError, match=r"price_grid must be >= 0 \(each element\), got \[1.0, -2.0\]"):
        schema.validate({"price_grid": [1.0, -2.0]})
    with pytest.raises(ValueError, match=r"expected_tokens must be >= 0 \(each element\)"):
        schema.validate({"expected_tokens": {"DA": 300, "CQ": -1, "AQ": 220}})
    with pytest.raises(ValueError, match="price_grid must be >= 0"):
        schema.validate({"price_grid": ["cheap"]})


def test_batch_must_hold_whole_groups():
    assert schema.validate({"grpo_batch_size": 8, "num_generations": 4})
    with pytest.raises(ValueError, match=r"grpo_batch_size \(6\) must be a multiple of num_generations \(4\)"):
        schema.validate({"grpo_batch_size": 6, "num_generations": 4})


def test_a_parameter_without_a_range_still_validates():
    """A Param written without range= (an older or new line of the table) keeps working."""
    p = schema.Param(3, int, ("01_data",), "a count")
    assert p.range is None
    r = schema.Range(0, 1)
    assert 0 in r and 1 in r and 1.01 not in r and str(r) == ">= 0 and <= 1"


def test_shipped_profiles_are_in_range():
    for name in config.profiles():
        config.load_params(name)
