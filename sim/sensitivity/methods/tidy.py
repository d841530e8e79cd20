"""The tidy index table every method's ``analyze`` returns: index, parameter, value, conf."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ["index", "parameter", "value", "conf"]


def rows(index: str, labels: Iterable[str], value: Any, conf: Any) -> list[tuple]:
    """One row per parameter (or group) of one index: ``(index, label, value, conf)``."""
    return [
        (index, label, float(v), float(c))
        for label, v, c in zip(
            labels, np.asarray(value, float), np.asarray(conf, float), strict=True
        )
    ]


def table(parts: Sequence[tuple]) -> pd.DataFrame:
    """The rows as a table with :data:`COLUMNS`."""
    return pd.DataFrame(list(parts), columns=COLUMNS)
