"""The sampling pipeline (round trip, determinism, guidance, identities, errors) and the training loop."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from conditioning import ConditionEncoder, ConditionVocab, IdentityRecipe, sample_novel
from diffusion import (
    GaitCraftPipeline,
    SilhouetteAutoencoder,
    SpatioTemporalUNet,
    make_scheduler,
    swap_scheduler,
)
from diffusion.config import load_config
from diffusion.pipeline import GaitCraftPipelineOutput
from diffusion.training import train
from gaitcraft.errors import CheckpointError, ConfigError
from gaitcraft.paths import REPO_ROOT
from gaitcraft.training import read_log

IDS = ["001", "002", "003", "004"]


def _wake(model: torch.nn.Module) -> torch.nn.Module:
    """Give zero-initialised layers small random weights so every input changes the output."""
    for p in model.parameters():
        if torch.count_nonzero(p) == 0:
            torch.nn.init.normal_(p, std=0.05)
    return model


@pytest.fixture(scope="module")
def pipe() -> GaitCraftPipeline:
    torch.manual_seed(0)
    unet = _wake(SpatioTemporalUNet(block_channels=(16, 32), layers_per_block=1, spatial_attention=(False, True),
                                    temporal_attention=(False, True), head_dim=8, cond_dim=32, emb_dim=32,
                                    norm_group_size=8, num_frames=6, max_frames=12))
    ae = SilhouetteAutoencoder(channels=(8, 16), norm_group_size=8)
    enc = ConditionEncoder(identities=IDS, clothing=["coat", "normal"], carry=["bag", "none"], identity_dim=8,
                           factor_dim=16, cond_dim=32, view_frequencies=3)
    return GaitCraftPipeline(unet.eval(), ae.eval(), enc.eval(), make_scheduler("dpm++"))


def _gen(pipe, seed=0, **kw):
    args = {"identity": "001", "view": 90.0, "num_inference_steps": 3, "generator": torch.Generator().manual_seed(seed)}
    return pipe(**{**args, **kw}).sequences


def test_output_shape_values_and_determinism(pipe):
    out = _gen(pipe, batch_size=2)
    assert out.shape == (2, 6, 64, 64) and out.dtype == np.uint8
    assert set(np.unique(out)) <= {0, 255} and not out[..., :10].any() and not out[..., -10:].any()
    assert np.array_equal(out, _gen(pipe, batch_size=2))  # same seed, same output
    assert not np.array_equal(out, _gen(pipe, seed=1, batch_size=2))
    assert _gen(pipe, num_frames=9).shape == (1, 9, 64, 64)


def test_output_types_and_return_dict(pipe):
    def call(**kw):
        return pipe(identity=["001", "002"], num_inference_steps=2, generator=torch.Generator().manual_seed(3), **kw)

    out = call()
    assert isinstance(out, GaitCraftPipelineOutput) and out.sequences.dtype == np.uint8
    assert out.sequences.shape == (2, 6, 64, 64) and out["sequences"] is out.sequences  # diffusers' BaseOutput
    pt = call(output_type="pt").sequences
    assert isinstance(pt, torch.Tensor) and pt.dtype == torch.uint8 and np.array_equal(pt.numpy(), out.sequences)
    latents = call(output_type="latent").sequences  # [b, t, c, h, w], not decoded
    assert latents.shape == (2, 6, pipe.autoencoder.config.latent_channels, *pipe.autoencoder.latent_size)
    assert latents.dtype == torch.float32 and np.array_equal(pipe.decode_latents(latents), out.sequences)
    plain = call(return_dict=False)
    assert isinstance(plain, tuple) and len(plain) == 1 and np.array_equal(plain[0], out.sequences)
    assert isinstance(call(output_type="latent", return_dict=False)[0], torch.Tensor)


def test_save_load_round_trip_gives_identical_samples(pipe, tmp_path):
    pipe.save_pretrained(tmp_path / "m")
    back = GaitCraftPipeline.from_pretrained(tmp_path / "m")
    kw = {"identity": ["001", "003"], "clothing": "coat", "carry": ["bag", "none"], "view": [45.0, 99.0]}
    assert np.array_equal(_gen(pipe, **kw), _gen(back, **kw))
    assert back.condition_encoder.vocab == pipe.condition_encoder.vocab


def test_null_conditions_and_guidance_modes(pipe):
    cond = _gen(pipe, guidance_scale=1.0)
    null = _gen(pipe, identity=None, clothing=None, carry=None, view=None, guidance_scale=1.0)
    assert null.shape == cond.shape and not np.array_equal(cond, null)
    per = _gen(pipe, guidance_scale={"identity": 3.0, "view": 2.0})
    assert per.shape == cond.shape and not np.array_equal(per, cond)
    pipe.scheduler = swap_scheduler(pipe.scheduler, "ddim")
    try:
        assert _gen(pipe).shape == cond.shape
    finally:
        pipe.scheduler = swap_scheduler(pipe.scheduler, "dpm++")


def test_identity_recipes_and_interpolation_endpoints(pipe):
    end = IdentityRecipe("interpolate", ("001", "002"), t=0.0, mode="slerp")
    assert np.array_equal(_gen(pipe, identity=end), _gen(pipe, identity="001"))
    end1 = IdentityRecipe("interpolate", ("001", "002"), t=1.0, mode="lerp").to_json()
    assert np.array_equal(_gen(pipe, identity=end1), _gen(pipe, identity="002"))
    novel = sample_novel(pipe.condition_encoder.identity_table, IDS, n=2, seed=0, margin=0.1)
    a = _gen(pipe, identity=novel)
    assert a.shape[0] == 2 and np.array_equal(a, _gen(pipe, identity=[r.to_json() for r in novel]))


@pytest.mark.parametrize("kw, match", [
    ({"clothing": "cape"}, "unknown clothing 'cape'; this model knows: coat, normal"),
    ({"carry": "umbrella"}, "unknown carry 'umbrella'; this model knows: bag, none"),
    ({"identity": "999"}, "unknown identity '999'; this model knows: 001, 002, 003, 004"),
    ({"view": 360.0}, r"outside \[0, 360\)"),
    ({"num_frames": 13}, "not supported by this model: it takes 1..12 frames"),
    ({"guidance_scale": {"hat": 2.0}}, "unknown factors"),
    ({"output_type": "pil"}, "output_type 'pil'; valid: np, pt, latent"),
])
def test_bad_inputs_are_clear_errors(pipe, kw, match):
    with pytest.raises(ConfigError, match=match):
        _gen(pipe, **kw)


def test_broken_model_folders_are_checkpoint_errors(pipe, tmp_path):
    pipe.save_pretrained(tmp_path / "ok")
    missing = shutil.copytree(tmp_path / "ok", tmp_path / "missing")
    shutil.rmtree(missing / "autoencoder")
    with pytest.raises(CheckpointError, match="missing component 'autoencoder'"):
        GaitCraftPipeline.from_pretrained(missing)
    other = shutil.copytree(tmp_path / "ok", tmp_path / "other")
    cfg = json.loads((other / "unet" / "config.json").read_text())
    (other / "unet" / "config.json").write_text(json.dumps({**cfg, "block_channels": [16, 48]}))
    with pytest.raises(CheckpointError, match=r"component 'unet' weights do not match its config \(.*shape"):
        GaitCraftPipeline.from_pretrained(other)
    mixed = shutil.copytree(tmp_path / "ok", tmp_path / "mixed")
    cfg = json.loads((mixed / "scheduler" / "scheduler_config.json").read_text())
    (mixed / "scheduler" / "scheduler_config.json").write_text(json.dumps({**cfg, "prediction_type": "epsilon"}))
    with pytest.raises(CheckpointError, match="unet.prediction_type='v_prediction' but scheduler.prediction_type"):
        GaitCraftPipeline.from_pretrained(mixed)
    with pytest.raises(CheckpointError, match="model_index.json is missing"):
        GaitCraftPipeline.from_pretrained(tmp_path)


class _Clips:
    """`n` fixed batches of bar-shaped clips [2, 8, 64, 64] with labels (re-iterable, like a DataLoader)."""

    def __init__(self, n: int = 3):
        self.n = n

    def __iter__(self):
        g = torch.Generator().manual_seed(0)
        for _ in range(self.n):
            sil = torch.zeros(2, 8, 64, 64, dtype=torch.uint8)
            for i in range(2):
                x = int(torch.randint(18, 40, (1,), generator=g))
                sil[i, :, 12:58, x:x + 8] = 255
            yield {"sil": sil, "subject": ["001", "002"], "clothing": ["normal", "coat"], "carry": ["none", "bag"],
                   "view": torch.tensor([0.0, 90.0])}


VOCAB = ConditionVocab.from_labels(identity=["001", "002"], clothing=["normal", "coat"], carry=["none", "bag"])


def test_training_runs_logs_samples_and_exports(tmp_path):
    cfg = load_config(REPO_ROOT / "configs" / "diffusion" / "tiny.yaml")
    model_dir = train(cfg, _Clips(), tmp_path / "run", VOCAB)
    rows = read_log(tmp_path / "run")
    assert [(r["phase"], r["phase_step"], r["step"]) for r in rows][-1] == ("diffusion", 6, 10) and len(rows) == 10
    assert (tmp_path / "run" / "samples" / "step-0000003.png").is_file()
    stored = load_file(model_dir / "unet" / "diffusion_pytorch_model.safetensors")
    assert {v.dtype for v in stored.values()} == {torch.float16}  # export_dtype: half the size on disk
    pipe = GaitCraftPipeline.from_pretrained(model_dir)
    assert pipe.unet.conv_in.weight.dtype == torch.float32
    assert pipe(identity="002", clothing="coat", carry="bag", num_inference_steps=2).sequences.shape == (1, 8, 64, 64)
    assert pipe.autoencoder.config.scaling_factor != 1.0  # set from the latents after phase 1
    cfg.train.lr = 1e-2
    with pytest.raises(CheckpointError, match="another config.*train.lr"):
        train(cfg, _Clips(), tmp_path / "run", VOCAB)


def test_resume_continues_exactly(tmp_path):
    cfg = load_config(REPO_ROOT / "configs" / "diffusion" / "tiny.yaml")
    cfg.train.sample_every = 0
    data = _Clips(1)  # the data stream restarts on resume, so use one that looks the same from any point
    train(cfg, data, tmp_path / "straight", VOCAB)
    cfg.train.steps = 3  # a run stopped after its step-3 checkpoint ...
    train(cfg, data, tmp_path / "resumed", VOCAB)
    cfg.train.steps = 6  # ... and continued to the same length
    train(cfg, data, tmp_path / "resumed", VOCAB)
    a = load_file(tmp_path / "straight" / "model" / "unet" / "diffusion_pytorch_model.safetensors")
    b = load_file(tmp_path / "resumed" / "model" / "unet" / "diffusion_pytorch_model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)
    steps = [r["phase_step"] for r in read_log(tmp_path / "resumed") if r["phase"] == "diffusion"]
    assert steps == [1, 2, 3, 4, 5, 6]
