"""Seaborn figures for the notebooks; each returns the figure and saves it when given a path."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from .game import dominates, pareto_front

sns.set_theme(style="whitegrid", context="notebook")


def _save(fig, path):
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig


def payoff_scatter(matrix, chosen: str | None = None, question_type: str | None = None, title: str = "", path=None):
    """Each cell as a point (LLM, user), labelled; Pareto front as a line; the chosen cell ringed."""
    df = pd.DataFrame([{"key": k, "LLM": c.llm, "user": c.user, "row": k[:2]} for k, c in matrix.cells.items()])
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    sns.scatterplot(data=df, x="LLM", y="user", hue="row", style="row", s=90, ax=ax, palette="deep")
    for r in df.itertuples():
        ax.annotate(r.key, (r.LLM, r.user), textcoords="offset points", xytext=(6, 4), fontsize=9)
    front = df[df.key.isin(pareto_front(matrix, question_type))].sort_values("LLM")
    ax.plot(front.LLM, front.user, "--", color="grey", label="Pareto front" + (f" ({question_type})" if question_type else ""))
    if chosen:
        c = matrix[chosen]
        ax.scatter([c.llm], [c.user], s=400, facecolors="none", edgecolors="crimson", linewidths=2, label=f"chosen {chosen}")
    ax.axhline(0, color="black", lw=0.5)
    ax.axvline(0, color="black", lw=0.5)
    ax.set(xlabel="LLM payoff", ylabel="user payoff", title=title or "Payoff matrix")
    ax.legend(fontsize=8, loc="best")
    return _save(fig, path)


def curves(log: pd.DataFrame, columns: dict, title: str, path=None, ncols: int = 3, seed: int | None = None):
    """One small panel per logged column (name -> label) against the training step (whole-number ticks); the
    seed, when given, goes in the title so that figures of different seeds are told apart."""
    cols = {c: lab for c, lab in columns.items() if c in log.columns}
    n = len(cols)
    rows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(rows, min(ncols, n), figsize=(4 * min(ncols, n), 3 * rows), squeeze=False)
    for ax, (col, label) in zip(axes.flat, cols.items()):
        sns.lineplot(data=log, x="step", y=col, marker="o", ax=ax)
        ax.set(title=label, xlabel="step", ylabel="")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(title if seed is None else f"{title}, seed {seed}")
    fig.tight_layout()
    return _save(fig, path)


def action_shares(df: pd.DataFrame, path=None, row: str | None = None):
    """Share of chosen actions (DA/CQ/AQ, or none) by the item's true question type, one panel per method (and
    one row of panels per value of `row`, e.g. seed, when given)."""
    d = df.assign(chosen=df["chosen_action"].fillna("none"))
    g = sns.displot(data=d, x="chosen", hue="question_type", col="method", multiple="dodge", stat="probability",
                    common_norm=False, shrink=0.8, discrete=True, height=3, aspect=1.1,
                    col_order=list(dict.fromkeys(d["method"])), row=row, facet_kws={"margin_titles": True})
    g.set_titles(col_template="{col_name}", row_template=f"{row} {{row_name}}")  # short: long ones collide
    g.set_axis_labels("chosen action", "share")
    return _save(g.figure, path)


def type_confusion(df: pd.DataFrame, path=None):
    """Predicted vs true question type per method, as heat maps of counts."""
    methods = list(dict.fromkeys(df["method"]))
    fig, axes = plt.subplots(1, len(methods), figsize=(3.2 * len(methods), 3), squeeze=False)
    for ax, m in zip(axes.flat, methods):
        d = df[df.method == m]
        tab = pd.crosstab(d["question_type"], d["pred_type"].fillna("none")).reindex(
            index=["DQ", "VQ"], columns=["DQ", "VQ", "none"], fill_value=0)
        sns.heatmap(tab, annot=True, fmt="d", cbar=False, cmap="Blues", ax=ax)
        ax.set(title=m, xlabel="predicted", ylabel="true")
    fig.tight_layout()
    return _save(fig, path)


def methods_plane(summary: pd.DataFrame, path=None, title: str = "Methods in the (U, L) plane",
                  per_seed: pd.DataFrame | None = None):
    """Mean (U, L) of each method with 95% interval bars and the front of non-dominated methods; a second panel
    zooms on the methods away from the origin (an untrained model at (0, 0) squeezes them into a corner), with
    each seed's mean as a small mark when per_seed (columns method, seed, U, L) is given."""
    s = summary.reset_index()
    away = s[(s.U + s.L) > 0.05]
    zoom = 0 < len(away) < len(s)
    fig, axes = plt.subplots(1, 2 if zoom else 1, figsize=(11 if zoom else 5.5, 4.3), squeeze=False)
    for ax, d, full in zip(axes[0], [s, away], [True, False]):
        if {"U_lo", "U_hi", "L_lo", "L_hi"} <= set(d.columns):
            ax.errorbar(d.U, d.L, xerr=[d.U - d.U_lo, d.U_hi - d.U], yerr=[d.L - d.L_lo, d.L_hi - d.L], fmt="none",
                        ecolor="grey", elinewidth=1, capsize=3, zorder=1)
        sns.scatterplot(data=d, x="U", y="L", hue="method", hue_order=list(s.method), s=120, ax=ax, zorder=2,
                        legend=full)
        if not full and per_seed is not None:
            seeds = per_seed[per_seed.method.isin(d.method)]
            sns.scatterplot(data=seeds, x="U", y="L", hue="method", hue_order=list(s.method), marker="X", s=40,
                            alpha=0.6, ax=ax, zorder=2, legend=False)
            ax.set_title("zoom; x: each seed's mean")
        pts = list(zip(d.U, d.L))
        front = sorted(p for p in pts if not any(dominates(q, p) for q in pts))
        ax.plot([p[0] for p in front], [p[1] for p in front], "--", color="grey", label="front" if full else None)
        ax.set(xlabel="user utility U", ylabel="LLM utility L")
    axes[0][0].set_title(title)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def pricing_sweep(sweep: pd.DataFrame, x: str, path=None):
    """Share of DA/CQ/AQ and mean LLM+user against a price, per rule."""
    share = (sweep.groupby([x, "rule"])["action"].value_counts(normalize=True).rename("share").reset_index())
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    sns.lineplot(data=share, x=x, y="share", hue="action", style="rule", marker="o", ax=axes[0],
                 hue_order=["DA", "CQ", "AQ"])
    axes[0].set(title="Chosen action share", ylabel="share")
    sns.lineplot(data=sweep, x=x, y="welfare", hue="rule", marker="o", errorbar=None, ax=axes[1])
    axes[1].set(title="LLM + user of the chosen cell", ylabel="welfare (sum)")
    fig.tight_layout()
    return _save(fig, path)


PRICING_AXES = {"price": "price the user pays\n(money per 1k tokens)",
                "serving cost": "serving cost of the provider\n(money per 1k tokens)",
                "reference shift": "reference shift\n(payoff units added to LLM)"}
ACTION_COLOURS = dict(zip(["DA", "CQ", "AQ"], sns.color_palette("deep", 3))) | {"none": "grey"}
RULE_PALETTE = "dark:#7a5195"
SOURCES = {"solver's pick on the model's matrix": ((), "o"), "model's reply": ((4, 4), "X")}  # solid, dashed


def _pricing_long(df: pd.DataFrame) -> pd.DataFrame:
    """One row per case and source (the solver's pick, then the model's reply), so both draw as lines."""
    solver, reply = SOURCES
    return pd.concat([df.assign(source=solver, action=df["predicted"]),
                      df.assign(source=reply, action=df["replied"].fillna("none"))])


def _share_panel(ax, long: pd.DataFrame):
    """Share of each action against the setting's value, 0 where not chosen: the solver's pick solid, the model's
    reply dashed, the dashes of successive actions out of phase so that coinciding reply lines both show."""
    for source, (dash, marker) in SOURCES.items():
        d = long[long["source"] == source]
        tab = pd.crosstab(d["value"], d["action"], normalize="index")
        for i, action in enumerate(a for a in ACTION_COLOURS if a in tab):
            ax.plot(tab.index, tab[action], ls=(i * dash[0], dash) if dash else "-", marker=marker, ms=5,
                    color=ACTION_COLOURS[action])
    ax.set(ylim=(-0.05, 1.05))


def _welfare_panel(ax, d: pd.DataFrame, rules: list):
    """Mean LLM+user of the solver's pick against the setting's value, one solid line per rule, the first widest
    so that a later rule's line drawn over it leaves it visible."""
    for rule, style in zip(rules, _rule_styles(len(rules))):
        mean = d[d["rule"] == rule].groupby("value")["welfare"].mean()
        ax.plot(mean.index, mean, **style)


def _rule_styles(n: int) -> list[dict]:
    """Colour, marker, line width and marker size of each of n rules: wider first, so coinciding lines nest."""
    return [{"color": c, "marker": "oXsPD"[k % 5], "lw": 1.5 + 1.5 * (n - 1 - k), "ms": 5 + 2 * (n - 1 - k)}
            for k, c in enumerate(sns.color_palette(RULE_PALETTE, n))]


def _pricing_legend(fig, rules: list, actions: set):
    """One legend right of the panels, away from the data: the actions drawn, line styles, then the rules."""
    head = lambda text: (Line2D([], [], ls="none"), text)  # a section heading: a label with no handle
    entries = [head("chosen action"), *[(Line2D([], [], color=c, lw=2), a) for a, c in ACTION_COLOURS.items() if a in actions],
               head(""), head("line (share rows)"),
               *[(Line2D([], [], color="black", ls=(0, d) if d else "-", marker=m, ms=5), s) for s, (d, m) in SOURCES.items()],
               head(""), head("last row: solver's pick, by rule"),
               *[(Line2D([], [], **style), f"{r} rule") for r, style in zip(rules, _rule_styles(len(rules)))]]
    fig.legend(*zip(*entries), loc="outside right center", fontsize=8, frameon=False)


def pricing_on_model(df: pd.DataFrame, path=None):
    """Share of DA/CQ/AQ against each pricing axis, one row per rule: the solver's pick on the model's own matrices
    (solid) and what the model's reply did (dashed); the LLM+user of the pick in the last row. One column per axis,
    so every x axis has one unit."""
    long, names, rules = _pricing_long(df), list(dict.fromkeys(df["axis"])), list(dict.fromkeys(df["rule"]))
    fig, axes = plt.subplots(len(rules) + 1, len(names), figsize=(3.6 * len(names) + 2.4, 2.7 * (len(rules) + 1)),
                             squeeze=False, sharex="col", sharey="row", layout="constrained")
    for a, axis in enumerate(names):
        for r, rule in enumerate(rules):
            _share_panel(axes[r][a], long[(long["rule"] == rule) & (long["axis"] == axis)])
            axes[r][a].set_ylabel(f"{rule} rule:\nshare of items" if a == 0 else "")
        _welfare_panel(axes[-1][a], df[df["axis"] == axis], rules)
        axes[-1][a].set_ylabel("LLM + user of the pick\n(payoff units)" if a == 0 else "")
        axes[0][a].set_title(axis)
        axes[-1][a].set(xlabel=PRICING_AXES.get(axis, axis), xticks=sorted(df.loc[df["axis"] == axis, "value"].unique()))
        axes[-1][a].xaxis.set_major_formatter("{x:g}")
    _pricing_legend(fig, rules, set(long["action"]))
    fig.suptitle("Repricing the model's own payoff matrices")
    return _save(fig, path)


def suite_overview(items: list[dict], path=None):
    """Items per family and request length in words, clear (DQ) against vague (VQ): what notebook 01 built."""
    df = pd.DataFrame(items).assign(words=lambda d: d["question"].str.split().str.len())
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    sns.countplot(data=df, x="family", hue="question_type", ax=axes[0]).set(title="Items per family (train + test)")
    sns.boxplot(data=df, x="family", y="words", hue="question_type", ax=axes[1]).set(title="Request length (words)")
    fig.tight_layout()
    return _save(fig, path)


def reference_actions(shares: pd.DataFrame, path=None):
    """The authors' runs: the chosen action's shares by reward and question-type group at each run's last step
    (reference_runs.action_shares), for ambig_qa (ambiguous / clear) and wildguard (harmful / unharmful)."""
    t = shares[(shares["step"] > 0) & shares["group"].isin(["ambiguous", "clear", "harmful", "unharmful"])]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
    for ax, src in zip(axes, ["ambig_qa", "wildguard"]):
        s = t[t["source"] == src].set_index(["reward", "group"])[["DA", "CQ", "AQ"]]
        s.plot.bar(stacked=True, ax=ax, width=0.8, title=f"{src}: chosen action (last step)", legend=False)
        ax.set_xlabel("")
    axes[0].set_ylabel("share of readable choices")
    axes[1].legend(title="chosen action", bbox_to_anchor=(1.01, 1), loc="upper left")  # outside: bars reach 1.0
    fig.tight_layout()
    return _save(fig, path)


ASK_COLOURS = {"vague": "tab:orange", "clear": "tab:blue"}


def ask_by_type(curves: pd.DataFrame, path=None, title: str = "P(ask) by request type during GRPO", ylabel="P(reply asks)"):
    """One panel per arm: P(ask | vague) and P(ask | clear) against the GRPO step, each seed a thin line, the mean
    over seeds bold. curves: columns arm, seed, step, p_ask_vague, p_ask_clear."""
    arms = list(dict.fromkeys(curves.arm))
    fig, axes = plt.subplots(1, len(arms), figsize=(4.2 * len(arms), 3.6), sharey=True, squeeze=False)
    for ax, arm in zip(axes[0], arms):
        d = curves[curves.arm == arm]
        for kind, colour in ASK_COLOURS.items():
            col = f"p_ask_{kind}"
            for _, s in d.groupby("seed"):
                s = s.sort_values("step")  # a line per seed, in step order whatever order the rows came in
                ax.plot(s.step, s[col], color=colour, lw=1.1, alpha=0.6)
            mean, n = d.groupby("step")[col].mean(), d.seed.nunique()
            ax.plot(mean.index, mean.values, color=colour, lw=2.6,
                    label=f"{kind} (mean of {n} seeds)" if n > 1 else f"{kind} (1 seed)")
        ax.set(title=arm, xlabel="GRPO step", ylim=(-0.03, 1.03))
    axes[0][0].set_ylabel(ylabel)
    axes[0][-1].legend(fontsize=8, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)

ACTIONS = ["none", "DA", "CQ", "AQ"]  # one order for every action axis


def ask_gap(gap: pd.DataFrame, path=None, title: str = "Ask rate on vague and on clear requests"):
    """Ask rate on vague (VQ) and clear (DQ) requests per method, one panel per family, with the ask gap (vague minus
    clear) and its 95% interval above each method: a table such as stats.primary_tables' ask_gap."""
    long = gap.melt(id_vars=["family", "method"], value_vars=["ask_vague", "ask_clear"], var_name="request",
                    value_name="ask rate")
    long["request"] = long["request"].map({"ask_vague": "vague (VQ)", "ask_clear": "clear (DQ)"})
    methods = list(dict.fromkeys(gap["method"]))
    g = sns.catplot(data=long, kind="bar", x="method", y="ask rate", hue="request", col="family", order=methods,
                    hue_order=["vague (VQ)", "clear (DQ)"], height=3.2, aspect=1.0, palette=["#c44e52", "#4c72b0"])
    for family, ax in g.axes_dict.items():
        for i, m in enumerate(methods):
            r = gap[(gap.family == family) & (gap.method == m)]
            if len(r):
                r = r.iloc[0]
                ax.text(i, 1.04, f"gap {r.gap:+.2f}\n[{r.gap_lo:+.2f}, {r.gap_hi:+.2f}]", ha="center", va="bottom",
                        fontsize=7)
        ax.set(ylim=(0, 1.3), yticks=[0, 0.25, 0.5, 0.75, 1.0])
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    g.set_titles(col_template="{col_name}")
    g.figure.suptitle(title, y=1.04)
    return _save(g.figure, path)


def harmful_game(greedy: pd.DataFrame, sampled: pd.DataFrame | None = None, path=None,
                 title: str = "Replies to harmful requests"):
    """Stacked shares of win-win, no help and unsafe replies per method: greedy replies after training (one table row
    per method), and beside them, when given, the replies each reward sampled while training."""
    parts = [("greedy replies to held-out harmful requests", greedy)]
    if sampled is not None and len(sampled):
        parts.append(("replies sampled while training (GRPO rollouts)", sampled))
    fig, axes = plt.subplots(1, len(parts), figsize=(5.5 * len(parts), 0.5 * len(greedy) + 1.8), squeeze=False)
    colours = {"win-win": "#55a868", "no help": "#8c8c8c", "unsafe": "#c44e52"}
    for ax, (label, t) in zip(axes.flat, parts):
        long = t.melt(id_vars="method", value_vars=["win_win", "no_help", "unsafe"], var_name="outcome", value_name="share")
        long["outcome"] = long["outcome"].str.replace("_", " ").str.replace("win win", "win-win")
        sns.histplot(data=long, y="method", weights="share", hue="outcome", hue_order=list(colours), multiple="stack",
                     discrete=True, shrink=0.7, palette=colours, alpha=1, linewidth=0, ax=ax, legend=False)
        ax.set(xlim=(0, 1), xlabel="share of replies", ylabel="", title=label)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    fig.legend(handles, list(colours), loc="upper center", ncol=3, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def stated_and_reply_shares(df: pd.DataFrame) -> pd.DataFrame:
    """Share of each action (ACTIONS) per method, source (the action stated in <analyze>, or the reply's behaviour) and
    request type, out of that method's requests of that type; 'none' where nothing was stated or done."""
    long = pd.concat([
        df.assign(source="stated in <analyze>", action=df["chosen_action"].fillna("none")),
        df.assign(source="the reply's behaviour", action=df["behaviour"].fillna("none"))])
    long["request"] = long["question_type"].map({"VQ": "vague (VQ)", "DQ": "clear (DQ)"})
    return (long.groupby(["method", "source", "request"], sort=False)["action"].value_counts(normalize=True)
            .unstack(fill_value=0.0).reindex(columns=ACTIONS, fill_value=0.0).stack().rename("share").reset_index())


def stated_vs_reply(df: pd.DataFrame, path=None, title: str = "What the model states and what its reply does"):
    """Per method (columns): the action stated in <analyze> (top row) and the reply's own behaviour (bottom row), as
    shares by the request's true type; the two differ where the stated choice is not carried out."""
    g = sns.catplot(data=stated_and_reply_shares(df), kind="bar", x="action", y="share", hue="request", col="method",
                    row="source", order=ACTIONS, hue_order=["vague (VQ)", "clear (DQ)"], height=2.6, aspect=1.1,
                    col_order=list(dict.fromkeys(df["method"])), palette=["#c44e52", "#4c72b0"], margin_titles=True)
    for ax in g.axes.flat:
        ax.set_ylim(0, 1)
    g.set_titles(col_template="{col_name}", row_template="{row_name}")
    g.set_axis_labels("action", "share")
    g.figure.suptitle(title, y=1.03)
    return _save(g.figure, path)
