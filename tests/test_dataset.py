"""Dataset API: filtering, frame sampling and the P×K sampler."""

from __future__ import annotations

import numpy as np
import pytest

from gaitcraft.dataset import ClipDataset, DatasetIndex, PKSampler, sample_frame_indices
from gaitcraft.errors import DataError
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.types import Sequence, SequenceLabels


@pytest.fixture
def tree(tmp_path):
    seqs = []
    for s in range(4):
        for t in ("nm-01", "nm-02", "bg-01", "cl-01"):
            for v in (0.0, 90.0, 180.0):
                fr = np.zeros((20 + s, 64, 64), np.uint8)
                fr[:, 10:50, 20 + s : 40 + s] = 255
                fr[np.arange(len(fr)), 0, 0] = np.arange(len(fr)) % 2 * 255  # frame id parity marker
                carry = "handbag" if t.startswith("bg") else "none"
                clothing = "coat" if t.startswith("cl") else "normal"
                seqs.append(Sequence(fr, SequenceLabels(f"{s:03d}", t, v, clothing, carry, "test")))
    write_opengait_tree(tmp_path, seqs)
    return DatasetIndex.open(tmp_path)


def test_filter(tree):
    assert len(tree) == 48 and tree.subjects == ["000", "001", "002", "003"]
    assert len(tree.filter(seq_types=["nm-"])) == 24
    assert len(tree.filter(views=[90])) == 16
    assert len(tree.filter(carry="handbag")) == 12
    assert len(tree.filter(subjects=["001"], clothing="coat")) == 3
    with pytest.raises(DataError, match="unknown label fields"):
        tree.filter(colour="red")


def test_frame_sampling():
    rng = np.random.default_rng(0)
    idx = sample_frame_indices(50, 30, "fixed_ordered", rng)
    assert len(idx) == 30 and np.all(np.diff(idx) == 1)
    idx = sample_frame_indices(10, 30, "fixed_ordered", rng)  # short sequence loops
    assert len(idx) == 30 and set(idx) == set(range(10))
    idx = sample_frame_indices(50, 30, "fixed_unordered", rng)
    assert len(set(idx)) == 30
    idx = sample_frame_indices(50, 30, "unfixed_ordered", rng)
    assert 15 <= len(idx) <= 30
    assert len(sample_frame_indices(7, 30, "all_ordered", rng)) == 7
    with pytest.raises(DataError, match="unknown frame sampling"):
        sample_frame_indices(5, 3, "random", rng)


def test_clip_dataset_and_pk(tree):
    ds = ClipDataset(tree.records, frames=16, sampling="fixed_ordered", seed=1)
    item = ds[3]
    assert item["sil"].shape == (16, 64, 44) and item["index"] == 3
    labels = [r.labels.subject for r in tree.records]
    sampler = PKSampler(labels, p=2, k=4, seed=0, batches=5)
    batches = list(sampler)
    assert len(batches) == 5
    for b in batches:
        ids = [labels[i] for i in b]
        assert len(b) == 8 and len(set(ids)) == 2 and all(ids.count(x) == 4 for x in set(ids))
    with pytest.warns(UserWarning, match="fewer than k=16"):
        short = PKSampler(labels, p=2, k=16)
    assert short.short_identities == ["000", "001", "002", "003"]
    assert all(len(b) == 32 for b in short)
    with pytest.raises(DataError, match="at least p=8"):
        PKSampler(labels, p=8, k=2)


def test_pk_sampler_balances_groups():
    # 2 "real" identities beside 20 "synthetic" ones: uniform drawing would rarely pick a real one
    labels = [f"r{i}" for i in range(2) for _ in range(4)] + [f"s{i:02d}" for i in range(20) for _ in range(4)]
    groups = ["real" if lab[0] == "r" else "synthetic" for lab in labels]
    balanced = PKSampler(labels, p=3, k=2, seed=0, batches=50, groups=groups)
    for b in balanced:
        ids = {labels[i] for i in b}
        assert len(b) == 6 and len(ids) == 3
        assert sum(x[0] == "r" for x in ids) == 2  # 3 // 2 each, the first group ('real') takes the remainder
    uniform = PKSampler(labels, p=3, k=2, seed=0, batches=50)
    real_share = sum(labels[i][0] == "r" for b in uniform for i in b) / (50 * 6)
    assert real_share < 0.2
    # without groups the draws are those of the ungrouped sampler, whatever groups it could have had
    one_group = PKSampler(labels, p=5, k=2, seed=0, batches=50, groups=["x"] * len(labels))
    assert list(one_group) == list(PKSampler(labels, p=5, k=2, seed=0, batches=50))
    with pytest.raises(DataError, match="draws 3 identities per batch from group 'real'"):
        PKSampler(labels, p=5, k=2, groups=groups)
    with pytest.raises(DataError, match="more than one group"):
        PKSampler(labels, p=2, k=2, groups=["a"] * 3 + ["b"] * (len(labels) - 3))
    # fixed shares per group: 2 real + 3 synthetic identities in every batch
    shared = PKSampler(labels, p=5, k=2, seed=0, batches=20, groups=groups, takes={"real": 2, "synthetic": 3})
    for b in shared:
        ids = {labels[i] for i in b}
        assert len(ids) == 5 and sum(x[0] == "r" for x in ids) == 2
    with pytest.raises(DataError, match=r"name the groups \['real', 'virtual'\] but the data has"):
        PKSampler(labels, p=5, k=2, groups=groups, takes={"real": 2, "virtual": 3})
    with pytest.raises(DataError, match="must sum to p=4"):
        PKSampler(labels, p=4, k=2, groups=groups, takes={"real": 2, "synthetic": 3})


def test_wrong_frame_size_is_refused_where_models_read(tmp_path):
    """A 128x88 pkl in a tree fails at the shared loading point, naming the file and the size models take."""
    import pickle

    seqs = [Sequence(np.full((6, 64, 64), 255, np.uint8), SequenceLabels(f"{s:03d}", "nm-01", 90.0)) for s in range(2)]
    write_opengait_tree(tmp_path, seqs)
    big = tmp_path / "001" / "nm-01" / "090" / "090.pkl"
    big.write_bytes(pickle.dumps(np.full((6, 128, 88), 255, np.uint8)))
    index = DatasetIndex.open(tmp_path)
    ds = ClipDataset(index, frames=4, sampling="fixed_ordered")
    assert ds[0]["sil"].shape == (4, 64, 44)
    with pytest.raises(DataError) as e:
        ds[1]
    assert e.value.path == str(big) and "frames are 128x88; models take 64x64" in e.value.reason
    with pytest.raises(DataError, match="models take 64x64"):
        index[1].load()
    assert index[1].load(frame_size=None).shape == (6, 128, 88)  # previews and pretreatment take any size
