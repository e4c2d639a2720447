"""The covariate matrix of a survival regression, built the same way for fitting and scoring.

A covariate is numeric (integers, floats, booleans: used as they are) or categorical (text or
a pandas category: one indicator column per level but the reference level, which is the most
frequent one in the fitting data, ties broken by name, unless the caller names one). Column
names are ``name`` for a numeric covariate and ``name=level`` for a level. Numeric columns
are centred on their fitting mean (it changes no coefficient, keeps ``exp(x'β)`` near 1 and
the arithmetic exact); a level unseen in fitting, a covariate that does not vary, or a
missing value is an error that names the column, since a score silently computed from a
guess would be worse than none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regulars.analytics.clv.base import FloatArray


@dataclass(frozen=True)
class Design:
    """How each covariate becomes columns: the levels of the categorical ones and the means."""

    covariates: tuple[str, ...]
    levels: dict[str, tuple[str, ...]]  # categorical covariate -> non-reference levels
    reference: dict[str, str]
    columns: tuple[str, ...]
    means: FloatArray

    @classmethod
    def learn(
        cls,
        frame: pd.DataFrame,
        covariates: Sequence[str],
        references: Mapping[str, str] | None = None,
    ) -> Design:
        """Learn the encoding from the fitting frame; ``references`` may name the reference
        level of a categorical covariate (else the most frequent one)."""
        return cls.learn_with_matrix(frame, covariates, references)[0]

    @classmethod
    def learn_with_matrix(
        cls,
        frame: pd.DataFrame,
        covariates: Sequence[str],
        references: Mapping[str, str] | None = None,
    ) -> tuple[Design, FloatArray]:
        """:meth:`learn`, and the fitting frame's :meth:`matrix` from the same pass."""
        names = tuple(covariates)
        _check_columns(frame, names)
        levels: dict[str, tuple[str, ...]] = {}
        reference: dict[str, str] = {}
        columns: list[str] = []
        for name in names:
            series = frame[name]
            if _is_categorical(series):
                counts = _level_counts(series)
                ordered = sorted(counts.index, key=lambda level: (-int(counts[level]), level))
                chosen = (references or {}).get(name, ordered[0])
                if chosen not in counts.index:
                    raise ValueError(f"reference level {chosen!r} of {name!r} is not in the data")
                reference[name] = chosen
                levels[name] = tuple(sorted(level for level in ordered if level != chosen))
                columns.extend(f"{name}={level}" for level in levels[name])
            else:
                columns.append(name)
        design = cls(names, levels, reference, tuple(columns), np.zeros(len(columns)))
        raw = np.ascontiguousarray(design._raw(frame))  # the means summed row by row
        if not len(raw):
            raise ValueError("there are no rows to learn the covariates from")
        means = raw.mean(axis=0)
        flat = [c for c, spread in zip(columns, np.ptp(raw, axis=0), strict=True) if spread == 0]
        if flat:
            raise ValueError(f"covariates that do not vary explain nothing: {', '.join(flat)}")
        raw -= means
        learned = cls(names, levels, reference, tuple(columns), np.asarray(means, np.float64))
        return learned, raw

    def matrix(self, frame: pd.DataFrame) -> FloatArray:
        """The centred covariate matrix of ``frame`` (rows in its order)."""
        _check_columns(frame, self.covariates)
        raw = self._raw(frame)
        raw -= self.means
        return np.ascontiguousarray(raw)

    def _raw(self, frame: pd.DataFrame) -> FloatArray:
        # Column by column into a column-major array (each write contiguous; the caller
        # makes it row-major once).
        out = np.empty((len(frame), len(self.columns)), dtype=np.float64, order="F")
        j = 0
        for name in self.covariates:
            series = frame[name]
            if name in self.levels:
                # Codes by hashing (no sort of the strings): 0 the reference, -1 unseen.
                categories = [self.reference[name], *self.levels[name]]
                found, uniques = pd.factorize(series)
                names = pd.Index([str(value) for value in uniques], dtype=object)
                codes = pd.Index(categories, dtype=object).get_indexer(names)[found]
                if np.any(codes < 0):
                    unseen = sorted(pd.unique(series[codes < 0].astype(str)))
                    raise ValueError(
                        f"covariate {name!r} has levels not seen when fitting: "
                        f"{', '.join(map(repr, unseen[:5]))}"
                    )
                for code in range(1, len(categories)):
                    out[:, j] = codes == code
                    j += 1
            else:
                if _is_categorical(series):
                    raise ValueError(f"covariate {name!r} was numeric when fitting, not text")
                out[:, j] = series.to_numpy(dtype=np.float64)
                j += 1
        return out


def _level_counts(series: pd.Series) -> pd.Series:
    """How many rows hold each level, as text (counted before the values become text)."""
    counts = series.value_counts()
    counts = counts[counts > 0]  # a pandas category's unused levels are not levels here
    return counts.groupby([str(value) for value in counts.index]).sum()


def _is_categorical(series: pd.Series) -> bool:
    return not (
        pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
    )


def _check_columns(frame: pd.DataFrame, names: Sequence[str]) -> None:
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(f"covariates not in the frame: {', '.join(missing)}")
    for name in names:
        empty = int(frame[name].isna().sum())
        if empty:
            raise ValueError(
                f"covariate {name!r} is missing in {empty} rows: fill or drop them first"
            )
