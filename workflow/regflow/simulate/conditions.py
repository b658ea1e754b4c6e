"""TF activities across conditions: a time course (stress response) and cell types."""

from __future__ import annotations

import numpy as np
import pandas as pd


def tf_activity(tfs: list[dict], conditions: list[dict]) -> pd.DataFrame:
    """Activity of each TF (rows) in each condition (columns).

    Time points: ``baseline + time_max * t / (t + half_time)`` (``time_max`` < 0 switches a TF
    off over time). Cell types: the TF's ``cell_types`` value, else its baseline. Floored at 0.
    """
    table = np.zeros((len(tfs), len(conditions)))
    for i, tf in enumerate(tfs):
        act = tf["activity"]
        for j, cond in enumerate(conditions):
            if cond["kind"] == "time":
                t = float(cond["time_min"])
                value = act["baseline"] + act.get("time_max", 0.0) * t / (t + act["half_time"])
            else:
                value = act.get("cell_types", {}).get(cond["name"], act["baseline"])
            table[i, j] = max(value, 0.0)
    return pd.DataFrame(
        table,
        index=pd.Index([tf["name"] for tf in tfs], name="tf"),
        columns=[c["name"] for c in conditions],
    )
