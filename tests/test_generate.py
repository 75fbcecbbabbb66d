"""The optimised generation path (length sorting, shared-prefix KV reuse, stop handling) gives the same greedy
tokens as plain Hugging Face generate on the embedded model in fp32."""
import pytest
import torch

from gtalign_lite import models
from gtalign_lite.generate import EndAfterStop, chat_text, common_prefix, fast_generate, generate, layout
from gtalign_lite.prompts import build_messages

pytestmark = pytest.mark.slow

QUESTIONS = ["What is the capital of France?", "Write a haiku about rain.",
             "Explain in detail how a bicycle gear system changes the effort needed to climb a steep hill.", "Help?"]


@pytest.fixture(scope="module")
def embedded():
    model, tok = models.load_model("embedded", {"seed": 0}, lora=False)
    return model.float(), tok


def plain_hf(model, tok, messages, max_new_tokens, **kw):
    """Reference: one prompt at a time through model.generate, no padding, no cache tricks."""
    out = []
    for m in messages:
        enc = tok(chat_text(tok, m), return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id, **kw)
        out.append(tok.decode(ids[0, enc["input_ids"].shape[1]:], skip_special_tokens=True))
    return out


def test_layout_puts_pads_after_the_shared_prefix():
    rows = [list(range(20)) + [7, 8], list(range(20)) + [9]]
    ids, mask, shared = layout(rows, pad_id=-1)
    assert common_prefix(rows) == 20 and shared == 20
    assert ids.tolist()[1] == list(range(20)) + [-1, 9] and mask.tolist()[1] == [1] * 20 + [0, 1]
    _, _, none = layout([[1, 2, 3], [1, 2, 4]], pad_id=0)  # a 2-token prefix is not worth a prefill
    assert none == 0


@pytest.mark.parametrize("style", ["compact", "paper"])
def test_batched_shared_prefix_greedy_equals_plain_generate(embedded, style):
    model, tok = embedded
    messages = [build_messages(q, style=style) for q in QUESTIONS]
    expected = plain_hf(model, tok, messages, 20)
    got = generate(model, tok, messages, max_new_tokens=20, batch_size=4, progress=False)
    assert got == expected


def test_stop_string_cuts_each_row_like_plain_generate(embedded):
    model, tok = embedded
    messages = [build_messages(q) for q in QUESTIONS]
    stop = " the"  # frequent, so rows stop at different steps
    expected = plain_hf(model, tok, messages, 20, stop_strings=[stop], tokenizer=tok)
    got = generate(model, tok, messages, max_new_tokens=20, batch_size=4, stop=stop, progress=False)
    assert got == expected and any(stop in t for t in got)


def test_rollouts_reuse_the_prompt_cache_and_end_with_eos_after_stop(embedded):
    model, tok = embedded
    rows = [tok(chat_text(tok, build_messages(q)), add_special_tokens=False)["input_ids"] for q in QUESTIONS[:2]]
    ids, mask, _ = layout([rows[0], rows[0], rows[1], rows[1]], tok.pad_token_id, share_prefix=False)
    kw = dict(max_new_tokens=16, do_sample=False, pad_token_id=tok.pad_token_id)
    with torch.no_grad():
        plain = model.generate(input_ids=ids, attention_mask=mask, **kw)
        fast = fast_generate(model, tok, ids, mask, **kw)
        stopped = fast_generate(model, tok, ids, mask, stop=" the", **kw)
    assert torch.equal(plain, fast)
    eos = model.generation_config.eos_token_id
    eos = eos[0] if isinstance(eos, list) else eos
    for row in stopped[:, ids.shape[1]:].tolist():
        text = tok.decode(row, skip_special_tokens=True)
        if " the" in text:  # EOS comes right after the token that completed the stop string
            cut = next(i for i in range(len(row)) if " the" in tok.decode(row[:i + 1], skip_special_tokens=True))
            assert row[cut + 1] == eos


def test_end_after_stop_ignores_the_prompt():
    class Tok:
        def batch_decode(self, ids):
            return ["</response>" if 5 in r else "x" for r in ids.tolist()]

    proc = EndAfterStop(Tok(), "</response>", eos_id=0)
    scores = torch.zeros(1, 3)
    assert torch.equal(proc(torch.tensor([[5, 1]]), scores), scores)  # the stop string in the prompt: no effect
    forced = proc(torch.tensor([[5, 1, 5]]), scores)
    assert forced[0, 0] == 0 and torch.isinf(forced[0, 1:]).all()


def tiny_lora(seed=0):
    """A tiny random Llama with a LoRA whose B is non-zero, so the adapter changes the outputs."""
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, tie_word_embeddings=True)
    model = get_peft_model(LlamaForCausalLM(cfg), LoraConfig(r=4, lora_alpha=8, target_modules=models.LORA_TARGETS))
    for name, p in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=1.0)
    return model.eval()


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.bfloat16, 0.1)])
def test_merged_copy_computes_what_the_lora_model_computes(dtype, tol):
    from gtalign_lite.generate import merged_copy

    model = tiny_lora()
    ids = torch.randint(0, 64, (2, 7))
    with torch.no_grad():
        want = model(input_ids=ids).logits
        copy = merged_copy(model, dtype)
        got = copy(input_ids=ids).logits.float()
        assert copy.dtype == dtype and not hasattr(copy, "peft_config")
        with model.disable_adapter():
            without = model(input_ids=ids).logits
        assert (got - want).abs().max() < tol < (without - want).abs().max()  # the LoRA is in the copy
        for name, p in model.named_parameters():  # training moves the adapter: a refresh follows it
            if "lora_A" in name:
                p.add_(0.3)
        again = merged_copy(model, dtype, into=copy)
        assert again is copy and (again(input_ids=ids).logits.float() - model(input_ids=ids).logits).abs().max() < tol
    assert all(p.dtype == torch.float32 for p in model.parameters())  # the trained model is left as it was


def test_a_stopped_generation_resumes_from_its_journal_with_the_same_text(embedded, tmp_path, monkeypatch):
    """Killed after one of two batches, a second run generates only the other batch and returns what one
    uninterrupted run returns; other prompts or another journal_key start the journal afresh."""
    model, tok = embedded
    messages = [build_messages(q) for q in QUESTIONS]
    once = generate(model, tok, messages, max_new_tokens=6, batch_size=2, progress=False)
    journal, calls, real = tmp_path / "eval.journal.jsonl", [], model.generate

    def dies_on_the_second_batch(*a, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("the session ended")
        return real(*a, **kw)

    monkeypatch.setattr(model, "generate", dies_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        generate(model, tok, messages, max_new_tokens=6, batch_size=2, progress=False, journal=journal,
                 journal_key={"adapter": "a"})
    assert len(journal.read_text().splitlines()) == 1 + 2  # its stamp and the first batch's two texts
    calls.clear()
    monkeypatch.setattr(model, "generate", lambda *a, **kw: calls.append(1) or real(*a, **kw))
    again = generate(model, tok, messages, max_new_tokens=6, batch_size=2, progress=False, journal=journal,
                     journal_key={"adapter": "a"})
    assert again == once and len(calls) == 1
    calls.clear()
    generate(model, tok, messages, max_new_tokens=6, batch_size=2, progress=False, journal=journal,
             journal_key={"adapter": "b"})  # another model: nothing reused
    assert len(calls) == 2
    with pytest.raises(ValueError, match="greedy"):
        generate(model, tok, messages, max_new_tokens=6, temperature=0.9, journal=journal)


def test_folded_gqa_attention_is_transformers_sdpa_on_a_padded_decode_step():
    """A decode step (one query token, 9 query heads on 3 KV heads, two rows left-padded) against transformers'
    own sdpa attention, which copies the keys and values per head."""
    from types import SimpleNamespace

    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    from gtalign_lite.generate import sdpa_folded_gqa

    torch.manual_seed(0)
    q, k, v = torch.randn(4, 9, 1, 64), torch.randn(4, 3, 30, 64), torch.randn(4, 3, 30, 64)
    mask = torch.ones(4, 1, 1, 30, dtype=torch.bool)
    mask[2:, ..., :7] = False
    layer = SimpleNamespace(num_key_value_groups=3, is_causal=True)
    want, _ = sdpa_attention_forward(layer, q, k, v, mask, scaling=64 ** -0.5)
    got, _ = sdpa_folded_gqa(layer, q, k, v, mask, scaling=64 ** -0.5)
    assert got.shape == want.shape == (4, 1, 9, 64)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)


def test_cpu_decoding_folds_gqa_and_scores_every_step_as_plain_generate():
    """fast_generate on a tiny grouped-query Llama, rows of different lengths left-padded: each step's scores match
    generate under plain sdpa (a folded attention that lost the padding mask fails here), and the model's
    attention is sdpa again afterwards."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from gtalign_lite.generate import FOLDED_SDPA, folded_gqa

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=64, hidden_size=64, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                      num_key_value_heads=2, pad_token_id=0, eos_token_id=1, bos_token_id=2)
    model = LlamaForCausalLM(cfg).eval()
    ids = torch.randint(3, 64, (3, 12))
    mask = torch.ones_like(ids)
    ids[1, :4], mask[1, :4], ids[2, :9], mask[2, :9] = 0, 0, 0, 0
    kw = dict(max_new_tokens=8, do_sample=False, output_scores=True, return_dict_in_generate=True, pad_token_id=0)
    with torch.no_grad():
        want = model.generate(input_ids=ids, attention_mask=mask, **kw)
        got = fast_generate(model, None, ids, mask, share_prefix=False, **kw)
    assert model.config._attn_implementation == "sdpa"
    with folded_gqa(model):
        assert model.config._attn_implementation == FOLDED_SDPA
    assert torch.equal(got.sequences, want.sequences)
    for a, b in zip(got.scores, want.scores):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
