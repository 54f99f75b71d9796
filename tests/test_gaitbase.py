"""GaitBase: shapes, OpenGait checkpoint loading (names, shapes, semantics), losses, overfitting a batch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from eval.models.gaitbase import GaitBase
from eval.models.gaitbase_config import GaitBaseArchitecture, GaitBaseConfig, model_config
from eval.models.opengait_checkpoint import infer_config, load_opengait_checkpoint
from eval.training.losses import cross_entropy_loss, triplet_loss
from eval.training.recognizer_config import ClassifierConfig, RecognizerConfig
from gaitcraft.errors import CheckpointError, ConfigError

SMALL = GaitBaseConfig(channels=(8, 16, 32, 64), parts=16, embed_dim=32, class_num=5)
BB = "Backbone.forward_block."


def opengait_state_dict(channels=(64, 128, 256, 512), parts=16, embed=256, classes=74, seed=0) -> dict:
    """A state dict named and shaped as OpenGait's GaitBase (Baseline + ResNet9 BasicBlock, layers 1/1/1/1),
    written from its published key layout, not from our module tree; random values."""
    g = torch.Generator().manual_seed(seed)

    def bn(prefix, c):
        return {f"{prefix}.weight": 1 + 0.1 * torch.randn(c, generator=g), f"{prefix}.bias": 0.1 * torch.randn(c, generator=g),
                f"{prefix}.running_mean": 0.1 * torch.randn(c, generator=g),
                f"{prefix}.running_var": 1 + torch.rand(c, generator=g), f"{prefix}.num_batches_tracked": torch.tensor(7)}

    sd = {f"{BB}conv1.conv.weight": torch.randn(channels[0], 1, 3, 3, generator=g) * 0.3, **bn(f"{BB}bn1", channels[0])}
    c_in = channels[0]
    for i, c in enumerate(channels, start=1):
        p = f"{BB}layer{i}.0"
        sd[f"{p}.conv1.weight"] = torch.randn(c, c_in, 3, 3, generator=g) / (3 * c_in**0.5)
        sd.update(bn(f"{p}.bn1", c))
        sd[f"{p}.conv2.weight"] = torch.randn(c, c, 3, 3, generator=g) / (3 * c**0.5)
        sd.update(bn(f"{p}.bn2", c))
        if i in (2, 3) or c_in != c:  # stride 2, or a width change
            sd[f"{p}.downsample.0.weight"] = torch.randn(c, c_in, 1, 1, generator=g) / c_in**0.5
            sd.update(bn(f"{p}.downsample.1", c))
        c_in = c
    sd["FCs.fc_bin"] = torch.randn(parts, channels[-1], embed, generator=g) * 0.05
    sd["BNNecks.fc_bin"] = torch.randn(parts, embed, classes, generator=g)
    sd.update(bn("BNNecks.bn1d", embed * parts))
    return sd


def reference_forward(sd: dict, x: torch.Tensor, parts: int = 16) -> torch.Tensor:
    """OpenGait's GaitBase inference path written functionally from the state dict: x [n, s, h, w] -> [n, c, p]."""
    def bn(t, p):
        return F.batch_norm(t, sd[f"{p}.running_mean"], sd[f"{p}.running_var"], sd[f"{p}.weight"], sd[f"{p}.bias"])

    n, s, h, w = x.shape
    y = x.reshape(n * s, 1, h, w)
    y = F.relu(bn(F.conv2d(y, sd[f"{BB}conv1.conv.weight"], padding=1), f"{BB}bn1"))
    for i, stride in enumerate((1, 2, 2, 1), start=1):
        p = f"{BB}layer{i}.0"
        z = F.relu(bn(F.conv2d(y, sd[f"{p}.conv1.weight"], stride=stride, padding=1), f"{p}.bn1"))
        z = bn(F.conv2d(z, sd[f"{p}.conv2.weight"], padding=1), f"{p}.bn2")
        short = y if f"{p}.downsample.0.weight" not in sd else bn(F.conv2d(y, sd[f"{p}.downsample.0.weight"], stride=stride), f"{p}.downsample.1")
        y = F.relu(z + short)
    y = y.reshape(n, s, *y.shape[1:]).amax(1)  # temporal max  [n, c, h', w']
    z = y.reshape(n, y.shape[1], parts, -1)
    feat = z.mean(-1) + z.amax(-1)  # [n, c, p]
    return torch.einsum("ncp,pcd->ndp", feat, sd["FCs.fc_bin"])


def test_shapes_full_and_small():
    x = (torch.rand(2, 12, 64, 44) > 0.5).float()
    out = GaitBase()(x)
    assert out["embeddings"].shape == (2, 256, 16) and out["logits"].shape == (2, 74, 16)
    out = GaitBase(SMALL)(x)
    assert out["embeddings"].shape == (2, 32, 16) and out["logits"].shape == (2, 5, 16)
    assert out["logits"].abs().max() <= 1.0 + 1e-5  # cosine logits


def test_packed_sequences_match_separate_batches():
    m = GaitBase(SMALL).eval()
    a, b = torch.rand(1, 7, 64, 44), torch.rand(1, 11, 64, 44)
    with torch.no_grad():
        packed = m(torch.cat([a, b], 1), seq_lens=[7, 11])["embeddings"]
        assert torch.allclose(packed[0], m(a)["embeddings"][0], atol=1e-5)
        assert torch.allclose(packed[1], m(b)["embeddings"][0], atol=1e-5)


def test_load_opengait_checkpoint_names_shapes_and_semantics(tmp_path):
    sd = opengait_state_dict()
    opt = {"state": {}, "param_groups": [{"lr": 0.1, "params": [0]}]}
    path = tmp_path / "GaitBase_DA-60000.pt"
    torch.save({"model": sd, "optimizer": opt, "iteration": 60000}, path)
    model = load_opengait_checkpoint(path)
    assert model.cfg == GaitBaseConfig()  # inferred: the published GaitBase architecture
    x = (torch.rand(2, 6, 64, 44) > 0.6).float()
    with torch.no_grad():
        assert torch.allclose(model(x)["embeddings"], reference_forward(sd, x), atol=1e-4, rtol=1e-4)


def test_ddp_prefix_and_small_widths_load(tmp_path):
    sd = opengait_state_dict(channels=(8, 16, 32, 64), embed=32, classes=5)
    torch.save({"model": {f"module.{k}": v for k, v in sd.items()}}, tmp_path / "m.pt")
    assert load_opengait_checkpoint(tmp_path / "m.pt").cfg == SMALL


def test_other_architecture_names_mismatching_keys(tmp_path):
    sd = opengait_state_dict()
    sd["Backbone.forward_block.layer4.0.conv3.weight"] = torch.zeros(1)  # a Bottleneck-style key
    del sd["BNNecks.bn1d.weight"]
    torch.save({"model": sd}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match=r"missing keys \['BNNecks.bn1d.weight'\].*unexpected keys.*conv3"):
        load_opengait_checkpoint(tmp_path / "other.pt")
    torch.save({"model": {"encoder.0.weight": torch.zeros(3)}}, tmp_path / "gaitset.pt")
    with pytest.raises(CheckpointError, match="not a GaitBase checkpoint: missing"):
        load_opengait_checkpoint(tmp_path / "gaitset.pt")
    sd = opengait_state_dict()
    sd["FCs.fc_bin"] = torch.zeros(16, 512, 128)  # wrong width vs an explicit config
    torch.save({"model": sd}, tmp_path / "w.pt")
    with pytest.raises(CheckpointError, match="shape mismatches.*FCs.fc_bin"):
        load_opengait_checkpoint(tmp_path / "w.pt", config=GaitBaseConfig())
    with pytest.raises(CheckpointError, match="not found"):
        load_opengait_checkpoint(tmp_path / "nope.pt")


def test_infer_config_reads_block_counts():
    sd = opengait_state_dict(channels=(8, 16, 32, 64), embed=32, classes=5)
    assert infer_config(sd).layers == (1, 1, 1, 1)


def test_triplet_loss_known_values_and_per_source():
    # two identities; strips identical. Anchor-positive distance 1, anchor-negative distance 0.5 -> loss 0.7
    emb = torch.tensor([[0.0], [1.0], [0.5], [1.5]]).unsqueeze(-1).repeat(1, 1, 3)  # [4, 1, 3]
    labels = torch.tensor([0, 0, 1, 1])
    loss, info = triplet_loss(emb, labels, margin=0.2)
    # triplets (a, p, n): per anchor 1 positive x 2 negatives -> 8 triplets; values computed by hand
    vals = [max(0, 1 - 0.5 + 0.2), max(0, 1 - 1.5 + 0.2), max(0, 1 - 0.5 + 0.2), max(0, 1 - 0.5 + 0.2),
            max(0, 1 - 0.5 + 0.2), max(0, 1 - 0.5 + 0.2), max(0, 1 - 1.5 + 0.2), max(0, 1 - 0.5 + 0.2)]
    nz = [v for v in vals if v > 0]
    assert loss.item() == pytest.approx(sum(nz) / len(nz), abs=1e-5) and info["triplets"] == 8
    # per-source: each identity its own source -> no negatives at all -> zero loss
    loss, info = triplet_loss(emb, labels, 0.2, sources=torch.tensor([0, 0, 1, 1]))
    assert loss.item() == 0.0 and info["triplets"] == 0


def test_ce_loss_scale_and_smoothing():
    logits = torch.zeros(2, 3, 4)
    logits[0, 1], logits[1, 2] = 1.0, 1.0
    loss, info = cross_entropy_loss(logits, torch.tensor([1, 2]), scale=16, label_smoothing=0.1)
    expect = F.cross_entropy(torch.tensor([[0.0, 16, 0]]), torch.tensor([1]), label_smoothing=0.1)
    assert loss.item() == pytest.approx(expect.item(), rel=1e-5) and info["accuracy"] == 1.0


def test_small_model_overfits_a_batch():
    torch.manual_seed(0)
    model = GaitBase(GaitBaseConfig(channels=(8, 16, 16, 16), parts=8, embed_dim=16, class_num=4))
    ids = torch.arange(4).repeat_interleave(2)
    base = torch.rand(4, 1, 32, 22) > 0.7  # one random pattern per identity, half-size frames
    x = (base[ids].expand(-1, 4, -1, -1) ^ (torch.rand(8, 4, 32, 22) > 0.9)).float()  # [8, 4, 32, 22]
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(30):
        out = model(x)
        loss = triplet_loss(out["embeddings"], ids)[0] + cross_entropy_loss(out["logits"], ids)[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_one_architecture_declaration_serves_configs_and_models():
    wide = GaitBaseArchitecture(channels=(8, 16, 32, 64), embed_dim=32)
    cfg = RecognizerConfig(model=wide)
    built = model_config(cfg, 5)
    assert built == SMALL and isinstance(built, GaitBaseArchitecture)
    assert GaitBase(built).FCs.fc_bin.shape == (16, 64, 32) and GaitBase(built).BNNecks.fc_bin.shape == (16, 32, 5)
    assert type(RecognizerConfig().model) is type(ClassifierConfig().model) is GaitBaseArchitecture
    assert GaitBaseConfig() == model_config(RecognizerConfig(), 74)  # the defaults are OpenGait's, in one place
    with pytest.raises(ConfigError, match="4 entries each"):
        GaitBaseConfig(channels=(8, 16, 32))
    with pytest.raises(ConfigError, match="class_num must be positive"):
        model_config(cfg, 0)
