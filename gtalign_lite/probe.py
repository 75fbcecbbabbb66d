"""The perception gate: can the base model's own features tell a vague request from a clear one?

A logistic-regression probe reads the hidden state at the last prompt token. The layer is chosen by 5-fold
cross-validation on the train split alone; accuracy is then measured once on the validation split, per family.
A family under PROBE_GATE is perception-limited: GRPO cannot be expected to condition on a type the model cannot see.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

PROBE_GATE = 0.85  # pre-registered (docs/preregistration.md)


def last_token_states(model, tok, items: list[dict], batch_size: int = 16) -> np.ndarray:
    """items x layers x hidden: every layer's hidden state at the last token of each chat prompt."""
    import torch
    from tqdm.auto import tqdm

    from .generate import chat_text

    out, side = [], tok.padding_side
    tok.padding_side = "left"
    try:
        for i in tqdm(range(0, len(items), batch_size), desc="probe features"):
            texts = [chat_text(tok, it["prompt"]) for it in items[i:i + batch_size]]
            enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.no_grad():
                states = model(**enc, output_hidden_states=True).hidden_states
            out.append(torch.stack([h[:, -1, :].float() for h in states], 1).numpy())
    finally:
        tok.padding_side = side
    return np.concatenate(out)


def _probe():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))


def probe_gate(train_states: np.ndarray, train: list[dict], val_states: np.ndarray, val: list[dict]) -> pd.DataFrame:
    """Per family: the layer chosen by cross-validation on train, its CV accuracy, and validation accuracy."""
    from sklearn.model_selection import cross_val_score

    rows = []
    for family in sorted({it["family"] for it in train}):
        tr = np.array([it["family"] == family for it in train])
        va = np.array([it["family"] == family for it in val])
        y_tr = np.array([it["question_type"] == "VQ" for it in train])[tr]
        y_va = np.array([it["question_type"] == "VQ" for it in val])[va]
        cv = [cross_val_score(_probe(), train_states[tr, layer], y_tr, cv=5).mean() for layer in range(train_states.shape[1])]
        layer = int(np.argmax(cv))
        acc = _probe().fit(train_states[tr, layer], y_tr).score(val_states[va, layer], y_va)
        rows.append({"family": family, "layer": layer, "cv_train": float(cv[layer]), "validation": float(acc),
                     "n_train": int(tr.sum()), "n_validation": int(va.sum()), "gate": PROBE_GATE,
                     "passes": bool(acc >= PROBE_GATE)})
    return pd.DataFrame(rows)
