"""The diffusion model: UNet and autoencoder shapes, temporal coupling, overfitting, schedules, guidance, config."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from diffusion.autoencoder import SilhouetteAutoencoder
from diffusion.config import ExperimentConfig, load_config
from diffusion.data import to_model_frames, to_uint8_64
from diffusion.guidance import combine, guidance_variants
from diffusion.schedule import (
    diffusion_loss,
    loss_weights,
    make_scheduler,
    shifted_betas,
    swap_scheduler,
    training_target,
)
from diffusion.unet import SpatioTemporalUNet
from gaitcraft.errors import ConfigError
from gaitcraft.factors import factor_names
from gaitcraft.paths import REPO_ROOT

TINY = dict(block_channels=(16, 32), layers_per_block=1, spatial_attention=(False, True),
            temporal_attention=(False, True), head_dim=8, cond_dim=8, emb_dim=32, norm_group_size=8,
            num_frames=8, max_frames=16)


def test_unet_shapes_and_frame_limits():
    torch.manual_seed(0)
    unet = SpatioTemporalUNet(**TINY)
    x = torch.randn(2, 5, 4, 16, 11)  # [b, t, c, h, w], odd width on purpose
    out = unet(x, torch.tensor([10, 900]), torch.randn(2, 8))
    assert out.shape == x.shape
    assert torch.count_nonzero(out) == 0  # zero-initialised output conv: the model starts at "predict 0"
    assert unet(x, 500, torch.randn(2, 8)).shape == x.shape  # scalar timestep
    with pytest.raises(ValueError, match="1..16 frames"):
        unet(torch.randn(1, 17, 4, 16, 11), 1, torch.randn(1, 8))


def test_unet_couples_frames_through_time():
    torch.manual_seed(0)
    unet = SpatioTemporalUNet(**TINY).eval()
    torch.nn.init.normal_(unet.conv_out.weight, std=0.1)
    for p in unet.parameters():  # wake up the zero-initialised residual branches
        if torch.count_nonzero(p) == 0 and p.dim() > 1:
            torch.nn.init.normal_(p, std=0.05)
    x = torch.randn(1, 8, 4, 16, 11)
    y = x.clone()
    y[:, 0] += 1.0  # perturb only the first frame
    with torch.no_grad():
        a, b = unet(x, 300, torch.zeros(1, 8)), unet(y, 300, torch.zeros(1, 8))
    assert (a[:, 7] - b[:, 7]).abs().max() > 1e-4  # the last frame sees it (temporal attention / convs)


def test_tiny_unet_overfits_one_batch():
    """The loss on one fixed (latents, noise, timesteps) batch must fall by at least 5x in 60 steps."""
    torch.manual_seed(0)
    unet = SpatioTemporalUNet(**TINY)
    sched = make_scheduler("ddpm")
    z0, t, cond = torch.randn(2, 4, 4, 16, 11), torch.tensor([100, 600]), torch.randn(2, 8)
    noise = torch.randn_like(z0)
    zt, target = sched.add_noise(z0, noise, t), training_target(sched, z0, noise, t)
    opt = torch.optim.Adam(unet.parameters(), lr=5e-3)
    losses = []
    for _ in range(60):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            pred = unet(zt, t, cond)
        loss = (pred.float() - target).square().mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 5, f"loss {losses[0]:.3f} -> {losses[-1]:.3f}"


def test_autoencoder_shapes_and_frame_conversions():
    ae = SilhouetteAutoencoder(channels=(8, 16), norm_group_size=8)
    frames = (torch.rand(3, 1, 64, 44) > 0.5).float()
    z = ae.encode(frames)
    assert z.shape == (3, 4, 16, 11) and z.abs().max() < 1
    assert ae.decode(z).shape == (3, 1, 64, 44)
    clips = np.zeros((2, 6, 64, 64), np.uint8)
    clips[:, :, 20:50, 25:40] = 255
    model_frames = to_model_frames(clips)  # [b, t, 64, 44] in {0, 1}
    assert model_frames.shape == (2, 6, 64, 44) and set(model_frames.unique().tolist()) == {0.0, 1.0}
    assert ae.encode_video(model_frames).shape == (2, 6, 4, 16, 11)
    assert ae.decode_video(ae.encode_video(model_frames)).shape == (2, 6, 64, 44)
    assert np.array_equal(to_uint8_64(model_frames), clips)  # the cut columns come back as zeros
    with pytest.raises(Exception, match=r"\[b, t, 64, 64\]"):
        to_model_frames(np.zeros((2, 6, 32, 32), np.uint8))


def test_schedulers_and_loss_weights():
    ddim = swap_scheduler(make_scheduler("dpm++", prediction_type="epsilon"), "ddim")
    assert type(ddim).__name__ == "DDIMScheduler" and ddim.config.prediction_type == "epsilon"
    w = loss_weights(make_scheduler("ddpm"), torch.tensor([0, 500, 999]), 5.0)
    assert w.shape == (3,) and (w > 0).all() and (w <= 1).all()
    with pytest.raises(ConfigError, match="unknown sampler"):
        make_scheduler("euler")


def test_shifted_schedule_divides_the_snr_and_survives_swap_and_save(tmp_path):
    def snr(s):
        return s.alphas_cumprod / (1 - s.alphas_cumprod)

    base, shifted = make_scheduler("ddpm"), make_scheduler("ddpm", snr_shift=2.0)
    ratio = snr(base) / snr(shifted)  # [T]
    assert torch.allclose(ratio, torch.full_like(ratio, 4.0), rtol=1e-3)
    dpm = make_scheduler("dpm++", snr_shift=2.0)
    for other in (swap_scheduler(dpm, "ddim"), type(dpm).from_config(_saved_config(dpm, tmp_path))):
        assert torch.allclose(other.alphas_cumprod, shifted.alphas_cumprod)
    assert torch.allclose(make_scheduler("dpm++", snr_shift=1.0).alphas_cumprod, base.alphas_cumprod)
    assert len(shifted_betas(1000, "squaredcos_cap_v2", 3.0)) == 1000
    with pytest.raises(ConfigError, match="snr_shift"):
        make_scheduler("ddpm", snr_shift=0.0)


def _saved_config(scheduler, folder):
    """The scheduler's config as written by `save_pretrained` and read back."""
    scheduler.save_pretrained(folder)
    return type(scheduler).load_config(folder)


def test_guidance_joint_and_per_factor():
    full, null = torch.full((2, 3), 2.0), torch.zeros(2, 3)
    assert guidance_variants(1.0) == [()]
    joint = guidance_variants(3.0)
    assert torch.allclose(combine(torch.cat([full, null]), joint, 3.0), torch.full((2, 3), 6.0))
    per = guidance_variants({"identity": 2.0, "view": 1.0})
    assert per == [(), ("identity",)]
    no_id = torch.ones(2, 3)
    assert torch.allclose(combine(torch.cat([full, no_id]), per, {"identity": 2.0, "view": 1.0}), torch.full((2, 3), 3.0))
    with pytest.raises(ConfigError, match="unknown factors"):
        guidance_variants({"colour": 2.0})


def test_guidance_joint_base_with_a_factor_set_apart():
    # eps(all)=2, eps(none)=0, eps(all but identity)=1: joint 4 gives 8, identity pushed from 4 to 6 adds 2 * (2 - 1)
    full, null, no_id = torch.full((2, 3), 2.0), torch.zeros(2, 3), torch.ones(2, 3)
    scales = {"all": 4.0, "identity": 6.0}
    variants = guidance_variants(scales)
    assert variants == [(), factor_names(), ("identity",)]
    assert torch.allclose(combine(torch.cat([full, null, no_id]), variants, scales), torch.full((2, 3), 10.0))
    # a base alone is joint guidance, and factors equal to the base cost no extra evaluation
    # guidance rescale pulls the guided prediction's spread back towards the full-condition one's
    wide = torch.tensor([[1.0, -1.0, 2.0, -2.0]] * 2)
    three = {"all": 3.0, "rescale": 1.0}
    assert torch.allclose(combine(torch.cat([wide, torch.zeros_like(wide)]), guidance_variants(three), three), wide,
                          atol=1e-5)
    half = {"all": 3.0, "rescale": 0.5}
    assert torch.allclose(combine(torch.cat([wide, torch.zeros_like(wide)]), guidance_variants(half), half), 2 * wide,
                          atol=1e-5)
    with pytest.raises(ConfigError, match=r"rescale=1.5 must be in \[0, 1\]"):
        guidance_variants({"all": 3.0, "rescale": 1.5})
    same = {"all": 3.0, "view": 3.0}
    assert guidance_variants(same) == guidance_variants(3.0)
    assert torch.allclose(combine(torch.cat([full, null]), guidance_variants(same), same), combine(torch.cat([full, null]), guidance_variants(3.0), 3.0))


def test_config_files_load_and_unknown_keys_are_refused(tmp_path):
    for name in ("default", "tiny"):
        cfg = load_config(REPO_ROOT / "configs" / "diffusion" / f"{name}.yaml")
        SpatioTemporalUNet(num_frames=cfg.train.num_frames, **cfg.unet)  # the section is valid constructor input
    with pytest.raises(ConfigError, match=r"unknown key 'train.lr_warmup'; valid keys in section 'train'"):
        ExperimentConfig.from_dict({"train": {"lr_warmup": 3}})
    with pytest.raises(ConfigError, match=r"unknown key 'colour'; valid keys in the config"):
        ExperimentConfig.from_dict({"colour": 1})
    with pytest.raises(ConfigError, match="set by the trainer"):
        ExperimentConfig.from_dict({"unet": {"cond_dim": 3}})
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: generator\nunet:\n  blocks: [1]\n")
    with pytest.raises(ConfigError, match="bad.yaml: unknown keys"):
        load_config(bad)


def test_tiny_conditioned_unet_learns_to_read_the_view():
    """Two views whose clips differ only in layout: after training with the default loss (plain v-loss on the
    SNR-shifted schedule), the prediction at high noise must be clearly better under the true view than under
    the other one. This is the property the shipped model once lacked (it ignored its conditions)."""
    from conditioning.encoder import ConditionEncoder
    from diffusion.conditioned_unet import ConditionedUNet

    torch.manual_seed(0)
    enc = ConditionEncoder(identities=["a"], identity_dim=8, factor_dim=16, cond_dim=8, view_frequencies=3)
    model = ConditionedUNet(SpatioTemporalUNet(**TINY), enc)
    sched = make_scheduler("ddpm", snr_shift=2.0)
    pattern = torch.zeros(4, 16, 11)
    pattern[:, :, :5], pattern[:, :, 6:] = 1.0, -1.0  # left/right halves swap between the two views

    def clips(views):  # [b, 4, 4, 16, 11]: one layout per view, a little per-clip jitter
        sign = torch.tensor([1.0 if v == 0.0 else -1.0 for v in views])[:, None, None, None, None]
        return sign * pattern + 0.1 * torch.randn(len(views), 4, 4, 16, 11)

    def loss_at(views, cond_views, tt):
        z0, noise = clips(views), torch.randn(len(views), 4, 4, 16, 11)
        null = {f: torch.zeros(len(views), dtype=torch.bool) for f in factor_names()}
        labels = {"identity": ["a"] * len(views), "clothing": ["normal"] * len(views),
                  "carry": ["none"] * len(views), "view": torch.tensor(cond_views)}
        pred = model(sched.add_noise(z0, noise, tt), tt, labels, null)
        return pred, training_target(sched, z0, noise, tt)

    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(200):
        views = [0.0, 90.0] * 4
        t = torch.randint(0, 1000, (8,))
        pred, target = loss_at(views, views, t)
        loss = diffusion_loss(pred, target, loss_weights(sched, t, None))
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    with torch.no_grad():
        views = [0.0, 90.0] * 8
        t = torch.full((16,), 990)
        right = diffusion_loss(*loss_at(views, views, t), loss_weights(sched, t, None))
        wrong = diffusion_loss(*loss_at(views, views[::-1], t), loss_weights(sched, t, None))
    assert right < 0.5 * wrong, f"loss under the true view {right:.3f}, under the other view {wrong:.3f}"
