"""Benchmark: parse time of adversarial completions at 10 KB, 100 KB and 1 MB; linear growth is ~10x a step.

Run: python scripts/bench_parse.py
"""
import json
import time

from gtalign_lite import parse_completion

CELL = json.dumps({"DQ_AQ": {"LLM": 1, "user": 2}})


def adversarial(kind: str, size: int) -> str:
    """Inputs that hurt backtracking parsers: tag soup, unclosed tags, key spam, nested brackets."""
    unit = {
        "tag_soup": "<thinking><payoff></analyze><response>",
        "unclosed": "<thinking>" + "a" * 30,
        "key_spam": "<analyze>DQ_DA VQ_CQ DQ_A",
        "brackets": "<payoff>" + "{" * 40,
        "near_valid": "<thinking>t</thinking><payoff>" + CELL + "</payoff>",
    }[kind]
    close = {"key_spam": "</analyze>", "brackets": "</payoff>"}.get(kind, "")
    return (unit * (size // len(unit) + 1))[: size - len(close)] + close


def best_time(text: str, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        parse_completion(text)
        best = min(best, time.perf_counter() - t)
    return best


if __name__ == "__main__":
    sizes = (10_000, 100_000, 1_000_000)
    print(f"{'input':<12}" + "".join(f"{s // 1000:>9} KB" for s in sizes) + "   ratio 100K/10K  ratio 1M/100K")
    for kind in ("tag_soup", "unclosed", "key_spam", "brackets", "near_valid"):
        times = [best_time(adversarial(kind, s)) for s in sizes]
        cols = "".join(f"{t * 1000:>9.2f} ms" for t in times)
        print(f"{kind:<12}{cols}   {times[1] / times[0]:>14.1f}  {times[2] / times[1]:>13.1f}")
