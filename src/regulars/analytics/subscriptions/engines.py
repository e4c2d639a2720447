"""Where the subscription features run besides the store: DuckDB over files, and Spark.

Both read the files a business would import — one per relation of
:data:`~regulars.analytics.subscriptions.features.RELATIONS`, in a folder, as Parquet or CSV:

=================  ============================================================  ==========
relation           file (``.parquet`` or ``.csv``; a folder of Parquet parts too)  needed
=================  ============================================================  ==========
``contracts``      ``subscriptions``                                             yes
``bills``          ``bills``                                                     yes
``plan_changes``   ``plan_changes`` or ``plan-changes``                          no
``members``        ``members``                                                   no
``answers``        ``answers``                                                   no
``cases``          ``cases``                                                     no
=================  ============================================================  ==========

with the import format's columns (``subscription_id, member_id, plan, monthly_fee,
started_on, committed_until, cancelled_on, cancel_reason``; ``subscription_id, month,
amount, data_gb, voice_minutes, usage``; …; answers as ``response_id, member_id, question,
driver, value, collected_at``; cases as ``member_id, opened_at``). A file that is not there
reads as no rows, a column that is not there as empty. Dates are ``YYYY-MM-DD`` (a bill's
month also ``YYYY-MM``); naive times are UTC. Ids keep their type (text or whole numbers).

* :class:`SubscriptionFiles` — DuckDB (an in-memory database unless one is given), which
  streams Parquet: the features of 5,000,000 contracts × 60 bills run on 2 cores
  (``bench/bench_subscriber_features.py``).
* :class:`SparkSubscriptions` — Spark DataFrames (or the same folder read by Spark),
  registered as views; run the session in UTC (:func:`regulars.analytics.clv.engines.
  local_spark` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from regulars.analytics.subscriptions.dialects import TYPES, Dialect, empty_relation
from regulars.analytics.subscriptions.features import RELATIONS

__all__ = ["FILES", "SparkSubscriptions", "SubscriptionFiles", "find_files"]

FILES: dict[str, tuple[str, ...]] = {
    "contracts": ("subscriptions",),
    "bills": ("bills",),
    "plan_changes": ("plan_changes", "plan-changes"),
    "members": ("members",),
    "answers": ("answers",),
    "cases": ("cases",),
}
REQUIRED = ("contracts", "bills")


def find_files(folder: Path) -> dict[str, Path]:
    """The file of each relation in ``folder`` (Parquet first, then CSV, then a folder of
    Parquet parts); FileNotFoundError names what is missing."""
    found: dict[str, Path] = {}
    for relation, names in FILES.items():
        for name in names:
            for candidate in (folder / f"{name}.parquet", folder / f"{name}.csv", folder / name):
                if candidate.exists():
                    found.setdefault(relation, candidate)
    missing = [f"{FILES[r][0]}.parquet or .csv" for r in REQUIRED if r not in found]
    if missing:
        raise FileNotFoundError(f"{folder}: no {' and no '.join(missing)}")
    return found


def _cast(dialect: Dialect, name: str, kind: str, source: str | None) -> str:
    """The column ``name`` as its ``kind``, from a column of type ``source`` (None: absent)."""
    if source is None:
        return f"CAST(NULL AS {TYPES[kind][dialect]}) AS {name}"
    if kind == "text":  # ids keep their type
        return name
    textual = source.lower() in ("varchar", "string", "stringtype()")
    if kind == "date" and name == "month" and textual:  # YYYY-MM, or YYYY-MM-DD
        padded = f"CASE WHEN length({name}) = 7 THEN concat({name}, '-01') ELSE {name} END"
        return f"CAST({padded} AS DATE) AS {name}"
    return f"CAST({name} AS {TYPES[kind][dialect]}) AS {name}"


@dataclass
class SubscriptionFiles:
    """The subscription files of a folder, read by DuckDB."""

    folder: str | Path
    connection: Any = None
    dialect: Dialect = field(default="duckdb", init=False)
    files: dict[str, Path] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.files = find_files(Path(self.folder))
        if self.connection is None:
            import duckdb

            self.connection = duckdb.connect()
        self.connection.execute("SET TimeZone = 'UTC'")

    def _reader(self, path: Path) -> str:
        quoted = str(path).replace("'", "''")
        if path.is_dir():
            return f"read_parquet('{quoted}/*.parquet')"
        if path.suffix == ".parquet":
            return f"read_parquet('{quoted}')"
        return f"read_csv('{quoted}', header = true, all_varchar = true)"

    def relation(self, name: str) -> str:
        columns = RELATIONS[name]
        path = self.files.get(name)
        if path is None:
            return empty_relation(self.dialect, columns)
        reader = self._reader(path)
        described = self.connection.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
        present = {str(row[0]): str(row[1]) for row in described}
        selected = ", ".join(_cast(self.dialect, c, k, present.get(c)) for c, k in columns.items())
        return f"SELECT {selected} FROM {reader}"

    def query(self, sql: str) -> pd.DataFrame:
        frame: pd.DataFrame = self.connection.execute(sql).fetchdf()
        return frame


@dataclass
class SparkSubscriptions:
    """Spark DataFrames of the relations (``contracts`` and ``bills`` at least), registered
    as views ``regulars_<relation>``."""

    spark: Any
    frames: dict[str, Any]
    dialect: Dialect = field(default="spark", init=False)

    def __post_init__(self) -> None:
        missing = [r for r in REQUIRED if r not in self.frames]
        if missing:
            raise ValueError(f"no DataFrame for {', '.join(missing)}")
        for name, frame in self.frames.items():
            frame.createOrReplaceTempView(f"regulars_{name}")

    @classmethod
    def from_folder(cls, spark: Any, folder: str | Path) -> SparkSubscriptions:
        """The files of ``folder`` (as :class:`SubscriptionFiles` finds them) read by Spark."""
        frames = {}
        for relation, path in find_files(Path(folder)).items():
            if path.suffix == ".csv":
                frames[relation] = spark.read.csv(str(path), header=True)
            else:
                frames[relation] = spark.read.parquet(str(path))
        return cls(spark, frames)

    def relation(self, name: str) -> str:
        columns = RELATIONS[name]
        if name not in self.frames:
            return empty_relation(self.dialect, columns)
        present = {f.name: f.dataType.simpleString() for f in self.frames[name].schema.fields}
        selected = ", ".join(_cast(self.dialect, c, k, present.get(c)) for c, k in columns.items())
        return f"SELECT {selected} FROM regulars_{name}"

    def query(self, sql: str) -> pd.DataFrame:
        result = self.spark.sql(sql)
        rows = result.collect()
        return pd.DataFrame([tuple(row) for row in rows], columns=result.columns)
