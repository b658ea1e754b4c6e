import numpy as np

from regflow.motifs.clusters import cluster_labels, cluster_table, similarity_matrix
from regflow.motifs.matrices import Motif, reverse_complement_matrix

from .conftest import consensus_counts


def probs(counts):
    return counts / counts.sum(axis=1, keepdims=True)


def test_near_identical_motifs_cluster_and_a_different_one_does_not():
    a = consensus_counts("TGACTCATTG", strong=90, weak=3)
    near = consensus_counts("GTGACTCATT", strong=80, weak=6)  # shifted by one, softer
    near_rc = reverse_complement_matrix(consensus_counts("TGACTCAT", strong=85, weak=5))
    other = consensus_counts("CCGGAAGTGG", strong=90, weak=3)
    matrices = [probs(m) for m in (a, near, near_rc, other)]
    similarity = similarity_matrix(matrices, min_overlap=6)
    assert np.allclose(similarity, similarity.T) and np.allclose(np.diag(similarity), 1)
    assert similarity[0, 1] > 0.9 and similarity[0, 2] > 0.9  # offset, then other strand
    assert similarity[0, 3] < 0.6
    labels = cluster_labels(similarity, threshold=0.2)
    assert labels.tolist() == [0, 0, 0, 1]


def test_min_overlap_excludes_short_alignments():
    a = probs(consensus_counts("AAAAAAGGG"))
    b = probs(consensus_counts("GGGCCCCCC"))  # shares only the GGG end
    assert similarity_matrix([a, b], min_overlap=3)[0, 1] > 0.9
    assert similarity_matrix([a, b], min_overlap=6)[0, 1] < 0.5


def test_cluster_table_names_clusters_by_their_most_informative_member():
    motifs = [
        Motif("M1", "FOS", consensus_counts("TGACTCA", strong=70, weak=10)),
        Motif("M2", "JUN", consensus_counts("TGACTCAT", strong=97, weak=1)),
        Motif("M3", "ETS", consensus_counts("CCGGAAGT")),
        Motif("M4", "ETS", consensus_counts("CCGGAAGT")),
    ]
    table = cluster_table(motifs, np.array([0, 0, 1, 2]))
    assert table.columns.tolist() == ["motif_id", "name", "cluster", "cluster_name"]
    assert table["cluster_name"].tolist() == ["JUN", "JUN", "ETS (M3)", "ETS (M4)"]


def test_single_motif():
    assert cluster_labels(np.ones((1, 1)), 0.2).tolist() == [0]
