"""The train/test split rules every trainer shares: where the split comes from, what a tree without one gets,
the refusal to train on TEST identities, identities in neither list, and the same flags on every trainer."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gaitcraft.arguments import ALLOW_TEST_IDS_HELP, PARTITION_HELP
from gaitcraft.cli import build_parser, main
from gaitcraft.errors import DataError
from gaitcraft.io.opengait_tree import write_partition
from gaitcraft.io.writers import write_opengait_tree
from gaitcraft.partition import load_partition
from gaitcraft.splits import evaluation_index, select_training, training_index
from gaitcraft.types import Sequence, SequenceLabels

IDS = ("001", "002", "075", "200")  # CASIA-B train, train, test, and one the standard split does not list


def _sequence(subject: str, seq_type: str) -> Sequence:
    frames = np.zeros((4, 64, 64), np.uint8)
    frames[:, 10:60, 25:40] = 255
    return Sequence(frames, SequenceLabels(subject, seq_type, 90.0, source="test"))


@pytest.fixture
def bare(tmp_path):
    """A tree with no partition.json."""
    return write_opengait_tree(tmp_path / "bare", [_sequence(s, t) for s in IDS for t in ("nm-01", "nm-05")])


def _subjects(index) -> list[str]:
    return sorted({r.labels.subject for r in index})


def test_a_tree_without_a_split_is_refused_in_one_line_that_says_how(bare):
    with pytest.raises(DataError) as err:
        training_index(bare)
    msg = str(err.value)
    assert msg.startswith(f"{bare}: no train/test split") and "--partition FILE" in msg and "casia-b" in msg
    assert "\n" not in msg
    with pytest.raises(DataError, match="no train/test split"):
        evaluation_index(bare, "test")
    assert len(evaluation_index(bare, "all")) == 2 * len(IDS)  # evaluating everything needs no split


def test_the_casia_b_split_by_name_and_identities_in_neither_list(bare, capsys):
    sel = select_training(bare, "casia-b")
    assert _subjects(sel.index) == ["001", "002"] and sel.unlisted == ["200"]
    training_index(bare, "casia-b")
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "200" in out and "not trained on" in out  # named once
    assert _subjects(evaluation_index(bare, "test", "casia-b")) == ["075"]
    train, test = load_partition("casia-b").train, load_partition("casia-b").test
    assert (len(train), len(test), min(train), max(train), min(test), max(test)) == (74, 50, "001", "074", "075", "124")


def test_the_oumvlp_split_by_name():
    part = load_partition("oumvlp")
    assert (len(part.train), len(part.test)) == (5153, 5154) and not part.train & part.test
    assert {"00001", "10305"} <= part.train and {"00002", "10306", "10307"} <= part.test


def test_a_partition_file_or_the_trees_own_partition_json(bare, tmp_path):
    own = tmp_path / "mine.json"
    write_partition(own, ["001", "075"], ["002"])
    assert _subjects(training_index(bare, own, say=None)) == ["001", "075"]
    write_partition(bare / "partition.json", ["002", "200"], ["001", "075"])
    assert _subjects(training_index(bare, say=None)) == ["002", "200"]  # found at the root
    assert _subjects(evaluation_index(bare, "test")) == ["001", "075"]


def test_training_on_test_identities_is_refused_unless_asked(bare, tmp_path, capsys):
    write_partition(bare / "partition.json", ["001", "002"], ["075", "200"])
    # 'all' trains every identity, but the tree's own partition.json marks two of them TEST
    with pytest.raises(DataError) as err:
        training_index(bare, "all")
    msg = str(err.value)
    assert msg.startswith(str(bare / "partition.json")) and "075, 200" in msg and "--allow-test-ids" in msg
    assert _subjects(training_index(bare, "all", allow_test_ids=True)) == list(IDS)
    assert "training on 2 identities marked TEST" in capsys.readouterr().out
    # so does another split whose TRAIN_SET holds one of the tree's test identities
    other = tmp_path / "other.json"
    write_partition(other, ["001", "075"], [])
    with pytest.raises(DataError, match=r"1 identities marked TEST \(075\)"):
        training_index(bare, other)
    # and a split that lists an identity in both sets
    both = tmp_path / "both.json"
    both.write_text(json.dumps({"TRAIN_SET": ["001", "002"], "TEST_SET": ["002"]}))
    (bare / "partition.json").unlink()
    with pytest.raises(DataError, match=r"marked TEST \(002\)"):
        training_index(bare, both)
    # without a partition.json in the tree, 'all' is the user's explicit choice of every identity
    assert _subjects(training_index(bare, "all", say=None)) == list(IDS)


@pytest.mark.parametrize("content, problem", [
    (None, "partition file does not exist"),
    ("{not json", "not JSON"),
    ('["001"]', 'expected {"TRAIN_SET"'),
    ('{"TRAIN_SET": "001", "TEST_SET": []}', "TRAIN_SET must be a list"),
    ('{"TRAIN_SET": [], "TEST_SET": [null]}', "TEST_SET must be a list"),
])
def test_a_bad_partition_file_is_one_line_naming_it(bare, tmp_path, content, problem):
    path = tmp_path / "p.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(DataError) as err:
        training_index(bare, path)
    assert str(err.value).startswith(str(path)) and problem in str(err.value) and "\n" not in str(err.value)


def test_a_split_that_selects_nothing_is_refused(bare):
    with pytest.raises(DataError, match="TRAIN_SET of the standard OU-MVLP split .* selects no sequence"):
        training_index(bare, "oumvlp")
    with pytest.raises(DataError, match="holds no test identities"):
        evaluation_index(bare, "test", "all")


TRAINERS = (["train"], ["recognizer", "train"], ["classifiers", "train"], ["mesh", "train"],
            ["augment-experiment"])


def _trainer_args(cmd: list[str], data, out) -> list[str]:
    if cmd == ["augment-experiment"]:
        return [*cmd, "--real", str(data), "--synthetic", str(data), "--out", str(out)]
    return [*cmd, "--data", str(data), "--out", str(out)]


def test_every_trainer_has_the_same_split_flags():
    parser = build_parser()
    commands = {a.dest: a for a in parser._actions if a.dest == "command"}["command"].choices

    def action(cmd: list[str], flag: str):
        p = commands[cmd[0]]
        if len(cmd) > 1:
            p = next(a for a in p._actions if a.dest == "action").choices[cmd[1]]
        return next(a for a in p._actions if flag in a.option_strings)

    for cmd in TRAINERS:
        assert action(cmd, "--partition").help == PARTITION_HELP, cmd
        assert action(cmd, "--allow-test-ids").help == ALLOW_TEST_IDS_HELP, cmd
    for cmd in (["recognizer", "eval"], ["classifiers", "eval"]):
        assert action(cmd, "--partition").help == PARTITION_HELP, cmd


@pytest.mark.parametrize("cmd", TRAINERS, ids=" ".join)
def test_every_trainer_refuses_a_tree_without_a_split_and_test_identities(cmd, bare, tmp_path, capsys):
    assert main(_trainer_args(cmd, bare, tmp_path / "run")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"gaitcraft {' '.join(cmd)}: error: {bare}: no train/test split") and "\n" not in err
    write_partition(bare / "partition.json", ["001", "002"], ["075", "200"])
    assert main([*_trainer_args(cmd, bare, tmp_path / "run"), "--partition", "all"]) == 2
    err = capsys.readouterr().err.strip()
    assert "identities marked TEST (075, 200)" in err and "--allow-test-ids" in err and "\n" not in err
    assert not (tmp_path / "run").exists()  # refused before anything was written
