import pytest

from regflow.errors import RegflowError
from regflow.motifs.fetch import fetch_jaspar


def test_collection_plus_ids_without_duplicates():
    motifs = fetch_jaspar("JASPAR2024", "CORE", ["fungi"], ["MA0139.2", "MA0363.3", "MA0139"])
    ids = [m.matrix_id for m in motifs]
    assert len(ids) == len(set(ids))
    fungi = ids[:-1]
    assert fungi == sorted(fungi) and "MA0363.3" in fungi  # REB1 is a fungal CORE matrix
    assert ids[-1] == "MA0139.2"  # CTCF appended once; MA0139 is its latest version
    ctcf = motifs[-1]
    assert ctcf.name.upper() == "CTCF" and ctcf.counts.shape == (15, 4)
    assert ctcf.counts.sum(axis=1).min() > 100  # raw counts, not probabilities


def test_errors_name_the_problem():
    with pytest.raises(RegflowError, match="JASPAR matrix MA9999.9 is not in JASPAR2024"):
        fetch_jaspar("JASPAR2024", matrix_ids=["MA9999.9"])
    with pytest.raises(RegflowError, match="release 'JASPAR1999' is not bundled"):
        fetch_jaspar("JASPAR1999", "CORE")
    with pytest.raises(RegflowError, match="no motifs in collection 'CORE' for taxon martians"):
        fetch_jaspar("JASPAR2024", "CORE", ["martians"])
