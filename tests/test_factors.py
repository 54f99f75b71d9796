"""The conditioning factors are declared once (`gaitcraft.factors`): the declaration matches the shipped models,
and a new factor declared only there (plus the label field its data source writes) reaches the condition encoder,
guidance and dropout, the pipeline, training batches, generation jobs and manifests, the generate flags and the
attribute classifier heads, without editing any of those modules."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

import gaitcraft.factors
from conditioning import ConditionVocab, IdentityRecipe, drop_masks
from conditioning.encoder import config_keys
from diffusion import GaitCraftPipeline, make_scheduler
from diffusion.conditioned_unet import ConditionedUNet
from diffusion.config import load_config
from diffusion.guidance import guidance_variants
from diffusion.training.context import batch_labels, build_models
from eval.models.attribute_classifier import AttributeClassifier, attribute_value, class_index
from eval.training.recognizer_config import ClassifierConfig
from gaitcraft.defaults import parse_guidance
from gaitcraft.errors import ConfigError
from gaitcraft.factors import Factor, classifier_heads, factor, factors, vocabulary_factors
from gaitcraft.paths import REPO_ROOT
from gaitcraft.training import load_config as load_training_config
from gaitcraft.types import SequenceLabels

SHIPPED = REPO_ROOT / "assets" / "models"
IDS = ["001", "002"]

#: A toy factor, declared in the test only: walking speed, one learned vector per value, read back by a head.
SPEED = Factor("speed", "categorical", default="normal", values=("slow", "normal", "fast"), classifier="speed",
               help="walking speed the model knows")


@dataclasses.dataclass(frozen=True)
class SpeedLabels(SequenceLabels):
    """The one other thing a new factor needs: a data source that writes its label."""

    speed: str = "normal"


@pytest.fixture
def with_speed(monkeypatch):
    """The registry extended by SPEED for one test (nothing else is edited)."""
    monkeypatch.setattr(gaitcraft.factors, "FACTORS", gaitcraft.factors.FACTORS + (SPEED,))


def _wake(model: torch.nn.Module) -> torch.nn.Module:
    """Give zero-initialised layers small random weights so every condition changes the output."""
    for p in model.parameters():
        if torch.count_nonzero(p) == 0:
            torch.nn.init.normal_(p, std=0.05)
    return model


def _tiny_pipeline() -> GaitCraftPipeline:
    """configs/diffusion/tiny.yaml's encoder, UNet and autoencoder over a small vocabulary (speed included when the
    registry declares it)."""
    labels = {"identity": IDS, "clothing": ["normal", "coat"], "carry": ["none", "backpack"],
              "speed": ["slow", "normal", "fast"]}
    vocab = ConditionVocab.from_labels(**{f.name: labels[f.name] for f in vocabulary_factors()})
    torch.manual_seed(0)
    ae, unet, enc = build_models(load_config(REPO_ROOT / "configs" / "diffusion" / "tiny.yaml"), vocab)
    return GaitCraftPipeline(_wake(unet).eval(), ae.eval(), enc.eval(), make_scheduler("dpm++"))


def test_the_declaration_describes_the_shipped_models():
    encoder_config = json.loads((SHIPPED / "generator" / "condition_encoder" / "config.json").read_text())
    assert {k for k in encoder_config if not k.startswith("_")} == config_keys()
    classifiers = json.loads((SHIPPED / "classifiers" / "meta.json").read_text())
    assert tuple(classifiers["classes"]) == classifier_heads() == ClassifierConfig().attributes
    fields = {f.name for f in dataclasses.fields(SequenceLabels)}
    for f in factors():
        assert f.label in fields, f"{f.name} reads no SequenceLabels field"
        assert f.kind != "categorical" or f.default in f.values


def test_bad_declarations_and_values_are_one_line_errors():
    with pytest.raises(ConfigError, match="embedded by table, not 'fourier'"):
        Factor("speed", "categorical", embedding="fourier")
    with pytest.raises(ConfigError, match="needs a value_range"):
        Factor("pace", "continuous", embedding="fourier")
    with pytest.raises(ConfigError, match="takes an angle in degrees"):
        Factor("pace", "continuous", value_range=(0.0, 3.0), embedding="fourier")
    with pytest.raises(ConfigError, match="unknown factor 'clothes'; valid: identity, clothing, carry, view"):
        factor("clothes")
    with pytest.raises(ConfigError, match=r"view 400.0 is outside \[0, 360\) degrees \(0 = toward the camera"):
        factor("view").check_number(400)


def test_a_new_factor_reaches_the_encoder_guidance_and_pipeline(with_speed):
    pipe = _tiny_pipeline()
    enc = pipe.condition_encoder
    assert enc.vocab.values("speed") == ("fast", "normal", "slow") and enc.config["speed"] == ["fast", "normal", "slow"]
    assert enc.speed_emb.num_embeddings == 3 and "speed" in enc.null
    assert enc.mixer[0].in_features == 5 * enc.config["factor_dim"]  # five factors concatenated

    def embed(**kw):
        return enc(enc.conditions(identity="001", **kw))

    slow, fast, null = embed(speed="slow"), embed(speed="fast"), embed(speed=None)
    assert not torch.allclose(slow, fast) and not torch.allclose(slow, null)
    with pytest.raises(ConfigError, match="unknown speed 'sprint'; this model knows: fast, normal, slow"):
        embed(speed="sprint")

    # guidance and dropout name the new factor like the declared ones
    assert guidance_variants(parse_guidance("speed=3")) == [(), ("speed",)]
    assert guidance_variants(4.0)[1] == ("identity", "clothing", "carry", "view", "speed")
    masks = drop_masks(6, {"speed": 1.0}, 0.0, torch.Generator().manual_seed(0))
    assert masks["speed"].all() and not masks["clothing"].any()

    # one sampling step of the pipeline, with per-factor guidance on the new factor
    def sample(speed):
        return pipe(identity="001", speed=speed, num_frames=4, num_inference_steps=1, output_type="latent",
                    guidance_scale={"all": 2.0, "speed": 3.0}, generator=torch.Generator().manual_seed(0)).sequences

    assert sample("fast").shape[:2] == (1, 4) and not torch.equal(sample("fast"), sample("slow"))
    with pytest.raises(ConfigError, match="unknown conditions"):
        pipe(pace="fast", num_inference_steps=1)


def test_without_the_extension_the_new_factor_is_refused():
    with pytest.raises(ConfigError, match="unknown factors \\['speed'\\] in guidance_scale"):
        guidance_variants({"speed": 3.0})
    with pytest.raises(ConfigError, match="unknown conditions \\['speed'\\]"):
        _tiny_pipeline()(identity="001", speed="fast", num_inference_steps=1)


def test_a_new_factor_reaches_training_batches(with_speed):
    pipe = _tiny_pipeline()
    raw = {"subject": IDS, "clothing": ["normal", "coat"], "carry": ["none", "none"], "view": [0.0, 90.0],
           "speed": ["slow", "fast"]}  # a data loader's batch, keyed by label field
    labels = batch_labels(raw)
    assert labels["speed"] == ["slow", "fast"] and labels["view"].dtype == torch.float32
    model = ConditionedUNet(pipe.unet.train(), pipe.condition_encoder.train())
    noisy = torch.randn(2, 4, pipe.autoencoder.config.latent_channels, *pipe.autoencoder.latent_size)
    null = drop_masks(2, {}, 0.0)
    model(noisy, torch.tensor([10, 500]), labels, null).square().mean().backward()
    assert pipe.condition_encoder.speed_emb.weight.grad.abs().sum() > 0  # the new embedding trains


def test_a_new_factor_reaches_generation_jobs_manifests_and_flags(with_speed, tmp_path, monkeypatch, capsys):
    import synth_datasets.generated.plan as plan
    from gaitcraft.cli import main
    from synth_datasets.generated.plan import SeqJob
    from synth_datasets.generated.sampling import generate_jobs
    from synth_datasets.generated.store import read_rows

    monkeypatch.setattr(plan, "SequenceLabels", SpeedLabels)  # the label type with the new field
    jobs = [SeqJob(f"gen001{s}", "nm-01", 90.0, IdentityRecipe("train", ("001",)),
                   {"clothing": "normal", "carry": "none", "speed": s}) for s in ("slow", "fast")]
    pipe, asked = _tiny_pipeline(), []

    def spy(**kw):  # the pipeline, recording the speeds each call asks for
        asked.append(kw.get("speed"))
        return pipe(**kw)

    done = generate_jobs(spy, tmp_path, jobs, lambda j: j.labels(0, "sha"), seed=0, frames=4, steps=1, guidance=2.0,
                         progress=False)
    assert done["generated"] == 2 and asked == [["slow", "fast"]]
    rows = [json.loads(r)["labels"] for r in read_rows(tmp_path).values()]
    assert sorted(r["speed"] for r in rows) == ["fast", "slow"]

    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    assert "--speed SPEED" in capsys.readouterr().out.replace("\n", " ")


def test_a_new_factor_reaches_the_classifier_heads(with_speed):
    assert ClassifierConfig().attributes == ("view", "clothing", "carry", "speed")
    assert ClassifierConfig.from_dict({"attributes": ["speed"]}).attributes == ("speed",)
    labels = [SpeedLabels("001", "nm-01", 90.0, speed=s) for s in ("slow", "fast", "normal", "fast")]
    classes = sorted({attribute_value(lab, "speed") for lab in labels})
    assert classes == ["fast", "normal", "slow"] and class_index("slow", classes, "speed") == 2
    assert class_index("sprint", classes, "speed") == -1
    arch = load_training_config("attributes_cpu_small", ClassifierConfig).model  # the narrow trunk
    model = AttributeClassifier(arch, {"view": 2, "speed": len(classes)}).eval()
    out = model(torch.rand(2, 6, 64, 44))
    assert out["speed"].shape == (2, 3)
