"""The phase-2 frame-latent cache gives the latents direct encoding gives, encoding each frame once."""

import torch

from diffusion.autoencoder import SilhouetteAutoencoder
from diffusion.training.latent_cache import FrameLatentCache


def _clips(seq: torch.Tensor, starts: list[int], t: int) -> tuple[torch.Tensor, torch.Tensor]:
    frames = torch.stack([torch.arange(s, s + t) % len(seq) for s in starts])  # [b, t]
    return seq[frames], frames  # [b, t, 64, 44], [b, t]


def test_cache_matches_direct_encoding_and_encodes_each_frame_once():
    torch.manual_seed(0)
    ae = SilhouetteAutoencoder(latent_channels=4, channels=[8, 16], norm_group_size=8).eval()
    seq = (torch.rand(12, 64, 44) > 0.5).float()  # one training sequence of 12 frames
    cache = FrameLatentCache(ae, max_bytes=2**30)
    for starts in ([0, 3], [2, 9], [5, 1]):
        sil, frames = _clips(seq, starts, 6)
        got = cache.encode(sil, torch.zeros(2, dtype=torch.long), frames)
        torch.testing.assert_close(got, ae.encode_video(sil).float(), rtol=1e-5, atol=1e-5)
    assert cache.encoded_frames == 12  # every frame once, though 36 frame draws were made


def test_cache_without_keys_or_budget_still_encodes():
    ae = SilhouetteAutoencoder(latent_channels=4, channels=[8, 16], norm_group_size=8).eval()
    seq = (torch.rand(8, 64, 44) > 0.5).float()
    sil, frames = _clips(seq, [0], 4)
    want = ae.encode_video(sil).float()
    torch.testing.assert_close(FrameLatentCache(ae, 2**30).encode(sil, None, None), want)
    starved = FrameLatentCache(ae, max_bytes=0)
    torch.testing.assert_close(starved.encode(sil, torch.zeros(1, dtype=torch.long), frames), want)
    assert starved.bytes == 0
