"""A GPU older than Unsloth supports (Kaggle's P100, compute capability 6.0) gets a clear message from the notebooks'
setup and from the loader, before Unsloth is imported (which would fail there with a raw CUDA error). GPU mocked."""
import sys

import pytest

from gtalign_lite import config, models, schema

torch = pytest.importorskip("torch")


@pytest.fixture
def gpu(monkeypatch):
    """Pretend this machine has one GPU of the given name and capability; Unsloth unimportable (it must not be tried)."""
    def use(name, capability):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a: capability)
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: name)
        monkeypatch.setitem(sys.modules, "unsloth", None)  # `import unsloth` now raises ImportError
    return use


def notebook_params(**changes) -> dict:
    return {**{k: p.default for k, p in schema.SCHEMA.items() if "02_payoff_prompting" in p.notebooks}, **changes}


def test_p100_is_named_with_what_to_choose_instead(gpu):
    gpu("Tesla P100-PCIE-16GB", (6, 0))
    with pytest.raises(models.ModelSetupError, match=r"P100-PCIE-16GB \(compute capability 6.0\).*GPU T4 x2"):
        config.setup(notebook_params(use_unsloth=True))
    with pytest.raises(models.ModelSetupError, match="compute capability 6.0"):  # not "Unsloth cannot be used"
        models.load_model("some/model", {"device": "cuda", "use_unsloth": True})


def test_a_t4_passes_the_check(gpu):
    gpu("Tesla T4", (7, 5))
    assert models.check_gpu() is None
    with pytest.raises(models.ModelSetupError, match="Unsloth cannot be used"):  # on to the import, mocked missing
        models.load_model("some/model", {"device": "cuda", "use_unsloth": True})
