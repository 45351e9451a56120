"""The sweep's SQLite database: one row per finished trial, written in one transaction.

    with SweepStore("sweep.sqlite") as store:
        missing = [trial for trial in trials if trial.key not in store.keys()]
        store.add(trial, result)            # committed at once: a crash loses no finished trial
        rows = store.rows()                  # dicts, `config` and `curve` parsed from JSON

The configuration is in columns (`optimizer`, `label`, `lr`, `seed`, `workload`, …) so a
reader can query it with any SQLite client, and again whole in the `config` JSON column.
`key` is the trial's hash and the primary key: a trial is stored at most once, whoever
writes it. Several processes may write to one file: SQLite locks it for each transaction and
a writer waits up to `timeout` seconds for another's to end.
"""
import json
import math
import sqlite3
import time
from pathlib import Path

from .trial import MEASUREMENTS

__all__ = ["SweepStore", "COLUMNS"]

COLUMNS = (
    ("key", "TEXT PRIMARY KEY"),
    ("workload", "TEXT NOT NULL"),
    ("optimizer", "TEXT NOT NULL"),
    ("label", "TEXT NOT NULL"),
    ("lr", "REAL NOT NULL"),
    ("seed", "INTEGER NOT NULL"),
    ("final_train_loss", "REAL"),
    ("best_train_loss", "REAL"),
    ("test_accuracy", "REAL"),
    ("best_test_accuracy", "REAL"),
    ("target", "REAL"),
    ("epochs_to_target", "INTEGER"),
    ("steps_to_target", "INTEGER"),
    ("diverged", "INTEGER NOT NULL"),
    ("diverged_at", "TEXT"),
    ("wall_time", "REAL NOT NULL"),
    ("host", "TEXT"),
    ("pid", "INTEGER"),
    ("finished_at", "TEXT NOT NULL"),
    ("config", "TEXT NOT NULL"),
    ("curve", "TEXT NOT NULL"),
    ("steps_per_epoch", "INTEGER"),
)
NAMES = tuple(name for name, _ in COLUMNS)
JSON_COLUMNS = ("config", "curve")


class SweepStore:
    """A sweep database at `path` (created with its table when missing)."""

    def __init__(self, path, timeout=60.0):
        self.path = Path(path)
        try:
            self._connection = sqlite3.connect(self.path, timeout=timeout)
            columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
            with self._connection:
                self._connection.execute(f"CREATE TABLE IF NOT EXISTS trials ({columns})")
            found = [row[1] for row in self._connection.execute("PRAGMA table_info(trials)")]
        except sqlite3.DatabaseError as error:
            raise ValueError(f"{str(self.path)!r} is not a sweep database: {error}") from None
        if tuple(found) != NAMES:
            self._connection.close()
            raise ValueError(f"{str(self.path)!r} has a table 'trials' that is not a sweep's "
                             f"(columns {', '.join(found)})")

    def keys(self):
        """The keys of every stored trial."""
        return {key for (key,) in self._connection.execute("SELECT key FROM trials")}

    def add(self, trial, result, target=None):
        """Store one finished trial and its `run_trial` result; True if it was new.

        A trial already stored (by another writer, or an earlier run) is left as it is.
        """
        row = {name: result.get(name) for name in MEASUREMENTS}
        row.update(
            key=trial.key, workload=trial.workload.describe(), optimizer=trial.optimizer,
            label=trial.label, lr=trial.lr, seed=trial.seed, target=target,
            diverged=int(bool(result["diverged"])), wall_time=result["wall_time"], host=result.get("host"),
            pid=result.get("pid"), finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            config=json.dumps({**trial.config(), "overrides": dict(trial.overrides)}, default=list),
            curve=json.dumps(result["curve"]), steps_per_epoch=result.get("steps_per_epoch"))
        for name in ("final_train_loss", "best_train_loss", "test_accuracy", "best_test_accuracy"):
            value = row[name]
            row[name] = None if value is None or not math.isfinite(value) else float(value)
        with self._connection:  # one transaction: the whole row or nothing
            cursor = self._connection.execute(
                f"INSERT OR IGNORE INTO trials ({', '.join(NAMES)}) VALUES ({', '.join('?' * len(NAMES))})",
                [row[name] for name in NAMES])
        return cursor.rowcount == 1

    def rows(self):
        """Every stored trial as a dict of its columns, `config` and `curve` decoded."""
        cursor = self._connection.execute(f"SELECT {', '.join(NAMES)} FROM trials ORDER BY workload, label, lr, seed")
        rows = []
        for values in cursor:
            row = dict(zip(NAMES, values))
            for name in JSON_COLUMNS:
                row[name] = json.loads(row[name])
            row["diverged"] = bool(row["diverged"])
            rows.append(row)
        return rows

    def __len__(self):
        return self._connection.execute("SELECT COUNT(*) FROM trials").fetchone()[0]

    def close(self):
        self._connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
