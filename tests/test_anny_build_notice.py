"""The first anny build takes minutes: it is announced before it starts, and the procedural builder does it once,
in the parent, before its progress bar and workers (the real ~800 MB build is mocked here)."""

from __future__ import annotations

import pytest
import torch

import synth_datasets.procedural.build as procedural
from mesh import anny_model
from synth_datasets.grid import parse_types, parse_views
from synth_datasets.procedural.spec import ProceduralSpec


@pytest.fixture
def fake_anny(monkeypatch, tmp_path):
    """anny with its model build replaced by a stub that counts calls; the cache folder is empty."""
    anny = pytest.importorskip("anny")
    anny_paths = pytest.importorskip("anny.paths")

    builds = []

    class StubAnny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            builds.append(1)

    cache = tmp_path / "anny"
    monkeypatch.setenv("ANNY_CACHE_DIR", str(cache))
    monkeypatch.setattr(anny, "Anny", StubAnny)
    monkeypatch.setattr(anny_paths, "set_anny_cache_path", lambda path: None)
    anny_model.load_anny.cache_clear()
    yield cache, builds
    anny_model.load_anny.cache_clear()  # later tests load the real model again


def test_a_cold_cache_build_is_announced_with_its_folder(fake_anny, capsys):
    cache, builds = fake_anny
    anny_model.load_anny()
    err = capsys.readouterr().err
    assert builds == [1]
    assert f"building the anny body model once (~1-7 min, cached in {cache})" in err and "built in" in err


def test_a_warm_cache_load_is_quiet(fake_anny, capsys):
    from anny.models.model_data import CURRENT_DATA_VERSION

    cache, builds = fake_anny
    (cache / f"v{CURRENT_DATA_VERSION}").mkdir(parents=True)
    (cache / f"v{CURRENT_DATA_VERSION}" / "build_model_data_0123.safetensors").write_bytes(b"")
    anny_model.load_anny()
    assert builds == [1] and "anny" not in capsys.readouterr().err


class _PoolStarted(Exception):
    pass


def test_procedural_builder_loads_the_body_before_its_workers(monkeypatch, tmp_path):
    events = []
    monkeypatch.setattr(procedural, "shared_anny_body", lambda: events.append("body"))

    def pool(*args, **kwargs):
        events.append("pool")
        raise _PoolStarted

    monkeypatch.setattr(procedural, "ProcessPoolExecutor", pool)
    spec = ProceduralSpec(subjects=2, types=tuple(parse_types("nm:1")), views=tuple(parse_views("90")))
    with pytest.raises(_PoolStarted):
        procedural.build_procedural(tmp_path / "d", spec, workers=2, progress=False)
    assert events == ["body", "pool"]
