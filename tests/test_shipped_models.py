"""The models shipped in assets/models load and work: the recognizer, attribute classifiers and reconstructor on
freshly rendered walkers, and the generator through `gaitcraft generate` (read back by the shipped classifiers)."""

from __future__ import annotations

import numpy as np
import pytest

from eval.evaluation.classifiers import evaluate_classifiers
from eval.evaluation.distances import distance_matrix
from eval.evaluation.privacy import DEFAULT_RECOGNIZER
from eval.evaluation.recognizer import embed
from gaitcraft.dataset import DatasetIndex
from gaitcraft.paths import REPO_ROOT
from synth_datasets.grid import parse_types
from synth_datasets.procedural.build import build_procedural
from synth_datasets.procedural.spec import ProceduralSpec

CLASSIFIERS = REPO_ROOT / "assets" / "models" / "classifiers"
#: The procedural walker version the shipped classifiers and generator were trained on.
SHIPPED_WALKER = "v2"
#: The shipped recognizer was trained on walker v5 (v3 with real people's spread of heads and tops).
RECOGNIZER_WALKER = "v5"
#: The shipped reconstructor was trained on the first walker (filmed from the other side).
RECONSTRUCTOR_WALKER = "v1"


def render_walkers(root, walker: str) -> DatasetIndex:
    """3 subjects x nm-01, nm-02, cl-01 x views 36 and 90, 40 frames each (subjects 001-003 of the training seed)."""
    spec = ProceduralSpec(subjects=3, types=tuple(parse_types("nm:2,cl:1")), views=(36.0, 90.0), frames_min=40,
                          frames_max=40, seed=0, walker=walker)
    build_procedural(root, spec, workers=1, progress=False)
    return DatasetIndex.open(root)


@pytest.fixture(scope="module")
def walkers(tmp_path_factory):
    """Walkers drawn by the walker version the shipped recognizer and classifiers were trained on."""
    return render_walkers(tmp_path_factory.mktemp("walkers"), SHIPPED_WALKER)


@pytest.fixture(scope="module")
def recognizer_walkers(tmp_path_factory):
    """The same walkers drawn by the walker version the shipped recognizer was trained on."""
    return render_walkers(tmp_path_factory.mktemp("recognizer_walkers"), RECOGNIZER_WALKER)


@pytest.fixture(scope="module")
def reconstructor_walkers(tmp_path_factory):
    """The same walkers drawn by the walker version the shipped reconstructor was trained on."""
    return render_walkers(tmp_path_factory.mktemp("reconstructor_walkers"), RECONSTRUCTOR_WALKER)


def test_shipped_classifiers_read_view_and_clothing(walkers):
    result = evaluate_classifiers(CLASSIFIERS, walkers, progress=False)
    acc = {a: r["accuracy"] for a, r in result["attributes"].items()}
    # the shipped 600-step classifiers read all 18 of these walks right (BENCHMARKS: 98.9 / 100 / 97.6 % on
    # held-out subjects); 1 error costs 5.6 points, so a few errors pass but an untrained or swapped head fails
    assert acc["clothing"] >= 90 and acc["view"] >= 80 and acc["carry"] >= 90, acc


@pytest.mark.parametrize("drawn_by", ["recognizer_walkers", "walkers"])
def test_shipped_recognizer_matches_sessions_of_the_same_walker(drawn_by, request):
    walkers = request.getfixturevalue(drawn_by)  # its own walker version, and the default one
    emb = embed(DEFAULT_RECOGNIZER, walkers, cache=False, progress=False)
    assert emb.embeddings.shape[0] == len(walkers) and np.isfinite(emb.embeddings).all()
    hits = 0
    for view in (36.0, 90.0):
        rows = [i for i, lab in enumerate(emb.labels) if lab.view == view]
        probes = [i for i in rows if emb.labels[i].seq_type == "nm-01"]
        dist = distance_matrix(emb.embeddings[probes], emb.embeddings[rows])
        for p, i in enumerate(probes):
            dist[p, rows.index(i)] = np.inf  # not itself
            best = rows[int(np.argmin(dist[p]))]
            hits += emb.labels[best].subject == emb.labels[i].subject
    assert hits >= 4, f"{hits} of 6 nm-01 probes found their own walker (chance ~ 1 in 5)"


def test_shipped_reconstructor_recovers_3d_joints(reconstructor_walkers):
    from mesh.reconstruction.api import load_reconstructor
    from mesh.reconstruction.evaluate import joint_errors

    model = load_reconstructor()  # the shipped assets/models/reconstructor
    err = joint_errors(model, reconstructor_walkers.filter(views=[90.0]), progress=False)
    # an untrained network is off by 250+ mm; the shipped one reaches ~50 mm on held-out side views
    assert err["mpjpe_mm"] < 150 and err["pa_mpjpe_mm"] <= err["mpjpe_mm"], err


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Four walks of training identity 001 from the shipped generator: views 36 and 90 x normal and coat."""
    from gaitcraft.cli import main

    out = tmp_path_factory.mktemp("generated")
    for view, clothing in ((36.0, "normal"), (90.0, "normal"), (36.0, "coat"), (90.0, "coat")):
        assert main(["generate", "--out", str(out), "--identity", "001", "--view", str(view), "--clothing",
                     clothing, "--seed", "0", "--batch", "1"]) == 0  # the shipped model, default sampler
    return DatasetIndex.open(out)


def test_shipped_generator_draws_walker_silhouettes(generated):
    assert len(generated) == 4
    frames = np.stack([r.load() for r in generated])  # [4, 30, 64, 64]
    assert frames.shape == (4, 30, 64, 64) and set(np.unique(frames)) <= {0, 255}
    area = (frames > 0).mean((2, 3))  # [4, 30] foreground share per frame
    assert 0.02 < area.min() and area.max() < 0.5, "every frame holds one plausible walker-sized silhouette"


def test_shipped_generator_follows_view_and_clothing(generated):
    """The first shipped generator ignored its conditions (view 0 %, clothing 25 % on these four walks)."""
    acc = {a: r["accuracy"] for a, r in evaluate_classifiers(CLASSIFIERS, generated, progress=False)["attributes"].items()}
    assert acc["clothing"] >= 75 and acc["view"] >= 50, acc


def test_shipped_generator_follows_the_carried_object(tmp_path):
    """Bag walks of training identity 001, read back with their exact carry labels from the manifest."""
    from gaitcraft.cli import main

    records = []
    for view, carry in ((36.0, "backpack"), (90.0, "backpack"), (36.0, "shoulder_bag"), (90.0, "shoulder_bag")):
        out = tmp_path / f"{carry}-{view:g}"  # one folder each: both bags are type bg-01, the same sequence key
        assert main(["generate", "--out", str(out), "--identity", "001", "--view", str(view), "--carry", carry,
                     "--seed", "0", "--batch", "1"]) == 0
        records += DatasetIndex.open(out).records
    index = DatasetIndex(records)
    assert sorted({r.labels.carry for r in index}) == ["backpack", "shoulder_bag"]  # exact labels, not 'bag'
    acc = evaluate_classifiers(CLASSIFIERS, index, progress=False)["attributes"]["carry"]["accuracy"]
    assert acc >= 50, acc  # 3 of 4 on machine C; a model ignoring carry would mostly draw no bag at all


def test_extension_config_warm_starts_from_the_shipped_generator():
    """configs/diffusion/default_extend.yaml builds exactly the shipped architecture, so its init_from loads."""
    import json

    import torch

    from conditioning.vocab import ConditionVocab
    from diffusion.config import load_config
    from diffusion.training import build_models
    from diffusion.training.warm_start import warm_start
    from gaitcraft.factors import vocabulary_factors

    cfg = load_config(REPO_ROOT / "configs" / "diffusion" / "default_extend.yaml")
    shipped = REPO_ROOT / cfg.train.init_from
    enc_cfg = json.loads((shipped / "condition_encoder" / "config.json").read_text())
    vocab = ConditionVocab.from_dict({f.vocab_key: enc_cfg[f.vocab_key] for f in vocabulary_factors()})
    ae, unet, enc = build_models(cfg, vocab)
    before = unet.conv_in.weight.detach().clone()
    warm_start(cfg.train.init_from, ae, unet, enc)
    assert ae.config.scaling_factor != 1.0  # the shipped latent scaling came along
    assert not torch.equal(before, unet.conv_in.weight)
