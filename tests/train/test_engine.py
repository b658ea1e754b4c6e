"""Training engine pieces: the run fingerprint, checkpoint directories that resume only the
same run, and the per-epoch history merged over a killed and a resumed attempt."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regflow.train.engine import epoch_history, fingerprint, prepare_checkpoints


@pytest.fixture
def inputs(tmp_path):
    a, b = tmp_path / "a.bin", tmp_path / "b.tsv"
    a.write_bytes(b"\x00\x01" * 1000)
    b.write_text("x\ty\n1\t2\n")
    return a, b


SETTINGS = {"optim": {"lr": 0.001, "max_epochs": 5}, "model": {"dim": 16}}


def test_fingerprint_is_stable_and_ignores_key_order(inputs):
    key = fingerprint(SETTINGS, list(inputs))
    assert len(key) == 64 and int(key, 16) >= 0
    assert fingerprint(SETTINGS, list(inputs)) == key
    reordered = {"model": {"dim": 16}, "optim": {"max_epochs": 5, "lr": 0.001}}
    assert fingerprint(reordered, list(inputs)) == key


def test_fingerprint_changes_with_settings(inputs):
    key = fingerprint(SETTINGS, list(inputs))
    changed = {**SETTINGS, "optim": {"lr": 0.002, "max_epochs": 5}}
    assert fingerprint(changed, list(inputs)) != key
    assert fingerprint({**SETTINGS, "extra": 1}, list(inputs)) != key


def test_fingerprint_changes_with_file_bytes(inputs):
    a, b = inputs
    key = fingerprint(SETTINGS, [a, b])
    a.write_bytes(b"\x00\x01" * 999 + b"\x00\x02")  # same size, one byte differs
    assert fingerprint(SETTINGS, [a, b]) != key
    assert fingerprint(SETTINGS, [a]) != fingerprint(SETTINGS, [a, b])


def test_fresh_directory(tmp_path):
    directory = tmp_path / "checkpoints" / "train"
    assert prepare_checkpoints(directory, "k1") is None
    assert directory.is_dir()
    assert (directory / "fingerprint.txt").read_text().strip() == "k1"


def test_matching_run_resumes_from_last(tmp_path):
    directory = tmp_path / "ckpt"
    prepare_checkpoints(directory, "k1")
    (directory / "last.ckpt").write_bytes(b"weights")
    (directory / "best.ckpt").write_bytes(b"best")
    (directory / "logs" / "attempt00").mkdir(parents=True)
    assert prepare_checkpoints(directory, "k1") == directory / "last.ckpt"
    # nothing is cleared when resuming
    assert (directory / "best.ckpt").read_bytes() == b"best"
    assert (directory / "logs" / "attempt00").is_dir()


def test_other_settings_clear_the_directory(tmp_path):
    directory = tmp_path / "ckpt"
    prepare_checkpoints(directory, "k1")
    (directory / "last.ckpt").write_bytes(b"weights")
    (directory / "logs" / "attempt00").mkdir(parents=True)
    assert prepare_checkpoints(directory, "k2") is None
    assert sorted(p.name for p in directory.iterdir()) == ["fingerprint.txt"]
    assert (directory / "fingerprint.txt").read_text().strip() == "k2"


def test_matching_run_without_last_checkpoint_starts_afresh(tmp_path):
    directory = tmp_path / "ckpt"
    prepare_checkpoints(directory, "k1")
    (directory / "logs" / "attempt00").mkdir(parents=True)  # killed before an epoch ended
    assert prepare_checkpoints(directory, "k1") is None
    assert sorted(p.name for p in directory.iterdir()) == ["fingerprint.txt"]


def test_directory_without_fingerprint_is_stale(tmp_path):
    directory = tmp_path / "ckpt"
    directory.mkdir()
    (directory / "last.ckpt").write_bytes(b"weights")
    assert prepare_checkpoints(directory, "k1") is None
    assert not (directory / "last.ckpt").exists()


def _lightning_csv(path, epochs, offset):
    """A ``metrics.csv`` as Lightning's CSVLogger writes it: validation and training losses of
    an epoch on separate rows (the other column empty)."""
    rows = []
    for e in epochs:
        rows.append({"epoch": e, "step": 10 * e + 9, "train_loss": np.nan, "val_loss": offset + e})
        rows.append(
            {"epoch": e, "step": 10 * e + 9, "train_loss": offset + 0.5 + e, "val_loss": np.nan}
        )
    path.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(path / "metrics.csv", index=False)


def test_history_merges_a_resumed_attempt(tmp_path):
    logs = tmp_path / "logs"
    _lightning_csv(logs / "attempt00", range(0, 5), offset=100.0)  # killed after epoch 4
    _lightning_csv(logs / "attempt01", range(3, 7), offset=200.0)  # resumed at epoch 3
    history = epoch_history(sorted(logs.glob("attempt*")))
    assert list(history.columns) == ["epoch", "train_loss", "val_loss"]
    assert history["epoch"].tolist() == list(range(7))
    assert history["epoch"].dtype.kind == "i"
    np.testing.assert_allclose(history["val_loss"], [100, 101, 102, 203, 204, 205, 206])
    np.testing.assert_allclose(
        history["train_loss"], [100.5, 101.5, 102.5, 203.5, 204.5, 205.5, 206.5]
    )


def test_history_skips_attempts_without_metrics(tmp_path):
    logs = tmp_path / "logs"
    (logs / "attempt00").mkdir(parents=True)  # killed before any epoch was logged
    _lightning_csv(logs / "attempt01", range(0, 2), offset=0.0)
    (logs / "attempt02").mkdir()
    (logs / "attempt02" / "metrics.csv").write_text("epoch,step,train_loss\n")
    history = epoch_history(sorted(logs.glob("attempt*")))
    assert history["epoch"].tolist() == [0, 1]
    assert history["val_loss"].tolist() == [0.0, 1.0]


def test_empty_history(tmp_path):
    history = epoch_history([tmp_path / "nothing"])
    assert history.empty
    assert list(history.columns) == ["epoch", "train_loss", "val_loss"]
