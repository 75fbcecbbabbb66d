"""A LoRA on a 4-bit (bitsandbytes NF4) base keeps its effect on the generation path: the adapter stays attached
instead of being merged, since a merge re-quantises base + delta and rounds a realistic update away."""
import pytest
import torch

bnb = pytest.importorskip("bitsandbytes", reason="pip install -c constraints.txt bitsandbytes (in the test extra)")

from peft import LoraConfig, get_peft_model  # noqa: E402
from transformers import BitsAndBytesConfig, LlamaConfig, LlamaForCausalLM  # noqa: E402

from gtalign_lite.generate import for_generation, quantised  # noqa: E402

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
DELTA_RMS = 2e-4  # per-weight size of a LoRA update after a short SFT (weights ~ N(0, 0.02))


def lora(model, seed=0):
    """A LoRA whose B is set non-zero, scaled so the update's rms per weight is about DELTA_RMS."""
    torch.manual_seed(seed)
    peft = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=TARGETS, lora_dropout=0.0))
    for name, p in peft.named_parameters():
        if "lora_B" in name:
            with torch.no_grad():
                p.normal_(0, 1.0)
    for m in peft.modules():  # rescale each B so that scaling * B @ A has rms DELTA_RMS
        if hasattr(m, "lora_B") and "default" in m.lora_B:
            with torch.no_grad():
                delta = m.get_delta_weight("default")
                m.lora_B["default"].weight.mul_(DELTA_RMS / delta.float().pow(2).mean().sqrt())
    return peft


def logits(model, ids):
    with torch.no_grad():
        return model(input_ids=ids).logits.float()


def cosine(a, b):
    return float(torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-llama")
    cfg = LlamaConfig(vocab_size=512, hidden_size=256, intermediate_size=512, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256)
    torch.manual_seed(0)
    LlamaForCausalLM(cfg).save_pretrained(folder)
    return folder


def load_4bit(folder):
    q = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                           bnb_4bit_compute_dtype=torch.float32)
    return LlamaForCausalLM.from_pretrained(folder, quantization_config=q, device_map="cpu")


def test_adapter_effect_survives_on_the_4bit_generation_path(tiny):
    ids = torch.randint(0, 512, (2, 24), generator=torch.Generator().manual_seed(1))
    # what the adapter should do: measured on the unquantised fp32 base
    base32 = LlamaForCausalLM.from_pretrained(tiny, dtype=torch.float32)
    before = logits(base32, ids)
    wanted = logits(lora(base32), ids) - before

    base4 = load_4bit(tiny)
    plain = logits(base4, ids)
    model = for_generation(lora(base4), "auto")  # what evaluate(), notebooks 02/03/06 generate with
    assert quantised(model) and hasattr(model, "peft_config")  # still a LoRA on 4-bit weights, nothing merged
    kept = logits(model, ids) - plain
    assert kept.abs().max() > 0  # outputs differ from the base model's
    assert cosine(kept, wanted) > 0.9 and float((kept - wanted).norm() / wanted.norm()) < 0.5
    greedy = model.generate(input_ids=ids, max_new_tokens=4, do_sample=False, pad_token_id=0)
    assert greedy.shape == (2, 28)  # generation runs with the adapter attached

    # the old path: peft's merge into NF4 keeps little of the update (why for_generation does not merge here)
    merged = lora(load_4bit(tiny)).merge_and_unload()
    assert cosine(logits(merged, ids) - plain, wanted) < 0.5


def test_a_16bit_lora_is_still_merged(tiny):
    model = for_generation(lora(LlamaForCausalLM.from_pretrained(tiny, dtype=torch.float32)), "float32")
    assert not hasattr(model, "peft_config") and not quantised(model)
