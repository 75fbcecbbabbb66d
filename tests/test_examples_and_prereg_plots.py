"""Example replies picked by a stated rule, and the first pre-registered experiment's figures, on hand-made tables."""
import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402

from gtalign_lite import examples, plots  # noqa: E402


def _table():
    """Two seeds, one family: seed 0's clear items behave alike under SFT and GRPO, seed 1's second clear item does
    not; the vague item differs in seed 0. 'base' is the control, and it skipped item w-0-2."""
    rows = []
    def add(seed, uid, qtype, sft, grpo, base=True):
        for method, asks in [("sft", sft), ("grpo", grpo)] + ([("base", False)] if base else []):
            rows.append(dict(seed=seed, uid=uid, family="writing", question_type=qtype, method=method, asks=asks,
                             behaviour="CQ" if asks else "DA", chosen_action="CQ", question=f"q {uid}",
                             text=f"<analyze>x</analyze><response>{method} on {uid}</response>"))
    add(0, "w-0-0", "DQ", False, False)
    add(0, "w-0-1", "VQ", False, False)
    add(0, "w-0-2", "DQ", False, True, base=False)  # differs, but the control has no reply: not eligible
    add(0, "w-0-3", "VQ", False, True)
    add(1, "w-1-0", "DQ", True, True)
    add(1, "w-1-1", "DQ", False, True)
    return pd.DataFrame(rows).sample(frac=1, random_state=0).sort_values("seed", kind="stable")


def test_pick_takes_the_first_item_where_sft_and_grpo_differ_and_every_method_replied():
    picked = examples.pick(_table().sort_index(), ["sft", "grpo", "base"])
    assert picked[["uid", "method"]].values.tolist() == [
        ["w-1-1", "sft"], ["w-1-1", "grpo"], ["w-1-1", "base"],  # clear: w-0-2 lacks base, w-0-0 and w-1-0 agree
        ["w-0-3", "sft"], ["w-0-3", "grpo"], ["w-0-3", "base"]]  # vague: w-0-1 agrees, w-0-3 differs
    assert picked["differs"].all()


def test_pick_falls_back_to_the_first_complete_item_when_none_differs():
    t = _table().sort_index()
    same = t[t["uid"].isin(["w-0-0", "w-1-0"])]
    picked = examples.pick(same, ["sft", "grpo"])
    assert picked["uid"].unique().tolist() == ["w-0-0"] and not picked["differs"].any()


def test_markdown_shows_the_response_block_and_what_the_reply_does():
    picked = examples.pick(_table().sort_index(), ["sft", "grpo", "base"])
    md = examples.markdown(picked).splitlines()
    assert md[2] == "| writing | clear: q w-1-1 | sft | CQ | DA | sft on w-1-1 |"
    assert examples.markdown(picked.assign(harmful=True)).splitlines()[2].startswith("| writing | harmful: q w-1-1 |")
    assert examples.block("<response>a\n  b</response>", "response") == "a b"
    assert examples.block("<response>cut off", "response") == "cut off" and examples.block("x", "response") == ""


def test_stated_and_reply_shares_are_within_each_request_type():
    d = pd.DataFrame({"method": ["grpo"] * 4, "question_type": ["DQ", "DQ", "DQ", "VQ"],
                      "chosen_action": ["CQ", "CQ", "CQ", None], "behaviour": ["DA", "DA", "CQ", "CQ"]})
    s = plots.stated_and_reply_shares(d).set_index(["source", "request", "action"])["share"]
    assert s["stated in <analyze>", "clear (DQ)", "CQ"] == 1.0  # states CQ on every clear request ...
    assert s["the reply's behaviour", "clear (DQ)", "DA"] == 2 / 3  # ... but answers two of the three
    assert s["stated in <analyze>", "vague (VQ)", "none"] == 1.0 and s["the reply's behaviour", "vague (VQ)", "CQ"] == 1.0
    assert s["the reply's behaviour", "clear (DQ)", "AQ"] == 0.0


def test_ask_gap_figure_writes_each_methods_gap_and_interval(tmp_path):
    gap = pd.DataFrame({"family": ["writing", "writing"], "method": ["sft", "grpo"], "ask_vague": [0.12, 0.67],
                        "ask_clear": [0.04, 0.68], "gap": [0.083, -0.008], "gap_lo": [0.008, -0.079],
                        "gap_hi": [0.165, 0.059]})
    fig = plots.ask_gap(gap, tmp_path / "gap.png")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts == ["gap +0.08\n[+0.01, +0.17]", "gap -0.01\n[-0.08, +0.06]"]
    heights = sorted(round(p.get_height(), 2) for ax in fig.axes for p in ax.patches if p.get_height() > 0)
    assert heights == [0.04, 0.12, 0.67, 0.68] and (tmp_path / "gap.png").stat().st_size > 0


def test_harmful_game_figure_stacks_each_methods_shares(tmp_path):
    greedy = pd.DataFrame({"method": ["sft", "grpo-user"], "win_win": [0.0, 0.1], "no_help": [0.98, 0.5],
                           "unsafe": [0.02, 0.4]})
    sampled = pd.DataFrame({"method": ["grpo-user"], "win_win": [0.004], "no_help": [0.508], "unsafe": [0.488]})
    fig = plots.harmful_game(greedy, sampled, tmp_path / "harm.png")
    left, right = fig.axes
    widths = sorted(round(p.get_width(), 3) for p in left.patches if p.get_width() > 0)
    assert widths == [0.02, 0.1, 0.4, 0.5, 0.98]
    assert sorted(round(p.get_width(), 3) for p in right.patches if p.get_width() > 0) == [0.004, 0.488, 0.508]
    ticks = [t.get_text() for t in left.get_yticklabels()]
    assert ticks == ["sft", "grpo-user"], ticks
