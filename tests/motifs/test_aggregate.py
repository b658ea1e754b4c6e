import numpy as np

from regflow.motifs.aggregate import cluster_sums, scale_columns


def test_cluster_sums_add_member_columns():
    scores = np.array([[1.0, 2.0, 4.0], [0.0, 3.0, 0.5]])
    sums = cluster_sums(scores, np.array([1, 0, 1]), 3)
    assert sums.tolist() == [[2.0, 5.0, 0.0], [3.0, 0.5, 0.0]]


def test_scale_columns_by_their_max():
    scaled, scale = scale_columns(np.array([[2.0, 0.0], [4.0, 0.0], [1.0, 0.0]]))
    assert scale.tolist() == [4.0, 0.0]
    assert scaled.tolist() == [[0.5, 0.0], [1.0, 0.0], [0.25, 0.0]]  # an all-zero column stays 0


def test_given_scales_clip_at_one():
    scaled, scale = scale_columns(np.array([[2.0, 9.0], [6.0, 1.0]]), np.array([4.0, 3.0]))
    assert scale.tolist() == [4.0, 3.0]
    assert scaled.tolist() == [[0.5, 1.0], [1.0, 1 / 3]]
