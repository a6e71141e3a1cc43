"""Writing a run to disk: one Parquet file per table and ``run.json``, all or nothing.

The files are written into a temporary folder beside the destination, which is then renamed
into place, so a reader never sees a half-written run (a previous run in the folder is replaced
only once the new one is complete).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from practicesim.experiment import Comparison
from practicesim.results import Run
from practicesim.scenario import Scenario
from practicesim.state import PracticeState, state_from_run
from practicesim.version import __version__


def run_metadata(run: Run, source: str | Path | None = None,
                 state: PracticeState | None = None) -> dict[str, object]:
    """What reproduces the run: the scenario, its hash, the package version, the seed and the
    state it started from (if any)."""
    return {
        "practicesim_version": __version__,
        "scenario_name": run.scenario.name,
        "scenario_hash": run.scenario.hash,
        "scenario_file": str(source) if source is not None else None,
        "seed": run.seed,
        "replication": run.replication,
        "start_state": None if state is None else {
            "as_of": state.as_of.isoformat(), "hash": state.hash, "source": state.source},
        "tables": {name: len(getattr(run, name)) for name in Run.TABLES},
        "scenario": run.scenario.model_dump(mode="json", by_alias=True),
    }


def write_run(run: Run, out: str | Path, source: str | Path | None = None,
              state: PracticeState | None = None) -> Path:
    """Write ``<table>.parquet`` for each table, ``run.json`` and ``end_state/`` (the open
    claims and booked appointments the run leaves, to start another run from) to ``out``
    atomically. ``state``: the state the run started from, recorded in ``run.json``."""

    def fill(staging: Path) -> None:
        for name in Run.TABLES:
            getattr(run, name).to_parquet(staging / f"{name}.parquet", index=False)
        (staging / "run.json").write_text(json.dumps(run_metadata(run, source, state),
                                                     indent=2))
        (staging / END_STATE).mkdir()
        state_from_run(run).write_files(staging / END_STATE)

    return write_atomically(Path(out), fill)


def write_comparison(comparison: Comparison, out: str | Path) -> Path:
    """Write a comparison's tables (Parquet) and ``comparison.json`` to ``out`` atomically:
    per-replication KPIs of every scenario, paired differences, monthly series and the
    cumulative net cash differences, the summary and the decision figures."""

    def fill(staging: Path) -> None:
        experiments = {comparison.baseline.scenario.name: comparison.baseline,
                       **comparison.scenarios}
        kpis = pd.concat({name: e.kpis for name, e in experiments.items()}, names=["scenario"])
        monthly = pd.concat({name: e.monthly for name, e in experiments.items()},
                            names=["scenario"])
        kpis.reset_index().to_parquet(staging / "kpis.parquet", index=False)
        monthly.reset_index().to_parquet(staging / "monthly.parquet", index=False)
        comparison.differences.reset_index().to_parquet(staging / "differences.parquet",
                                                        index=False)
        comparison.cash_differences.reset_index().to_parquet(
            staging / "cash_differences.parquet", index=False)
        comparison.summary().reset_index().to_parquet(staging / "summary.parquet", index=False)
        comparison.decision().rename_axis("scenario").reset_index().to_parquet(
            staging / "decision.parquet", index=False)
        meta = {
            "practicesim_version": __version__,
            "seed": comparison.baseline.seed,
            "replications": len(comparison.baseline.kpis),
            "common_random_numbers": True,
            "scenarios": {name: {"hash": e.scenario.hash,
                                 "scenario": e.scenario.model_dump(mode="json", by_alias=True)}
                          for name, e in experiments.items()},
            "baseline": comparison.baseline.scenario.name,
        }
        (staging / "comparison.json").write_text(json.dumps(meta, indent=2))

    return write_atomically(Path(out), fill)


END_STATE = "end_state"
RESULT_FILES = frozenset({*(f"{name}.parquet" for name in Run.TABLES), "run.json", END_STATE,
                          "comparison.json", "kpis.parquet", "monthly.parquet",
                          "differences.parquet", "cash_differences.parquet", "summary.parquet",
                          "decision.parquet", "sweep.parquet", "sweep.json"})


class OutputFolderError(ValueError):
    """The output folder holds something other than a previous result."""


def check_output_folder(out: Path, result_files: frozenset[str] = RESULT_FILES) -> None:
    """Only an empty folder or one holding a previous result (files named in
    ``result_files``) may be replaced."""
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputFolderError(f"{out}: exists and is not a folder")
    foreign = sorted(p.name for p in out.iterdir() if p.name not in result_files)
    if foreign:
        raise OutputFolderError(
            f"{out}: holds files that are not a practicesim result ({', '.join(foreign[:3])}"
            f"{', ...' if len(foreign) > 3 else ''}); choose an empty or new folder")


def write_sweep(table: pd.DataFrame, scenario: Scenario, grid: dict[str, list[object]],
                seed: int, out: str | Path) -> Path:
    """Write a sweep's tidy table (``sweep.parquet``) and ``sweep.json`` to ``out``
    atomically."""

    def fill(staging: Path) -> None:
        table.to_parquet(staging / "sweep.parquet", index=False)
        meta = {"practicesim_version": __version__, "seed": seed, "grid": grid,
                "replications": int(table["replication"].nunique()),
                "scenario_hash": scenario.hash,
                "scenario": scenario.model_dump(mode="json", by_alias=True)}
        (staging / "sweep.json").write_text(json.dumps(meta, indent=2, default=str))

    return write_atomically(Path(out), fill)


def write_atomically(out: Path, fill: Callable[[Path], None],
                     result_files: frozenset[str] = RESULT_FILES) -> Path:
    """Let ``fill`` write into a staging folder beside ``out``, then rename it into place
    (replacing a previous result there, never anything else)."""
    check_output_folder(out, result_files)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)
    try:
        fill(staging)
        _replace_dir(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; renamed onto ``path`` when the block ends
    without an error, removed otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _replace_dir(new: Path, target: Path) -> None:
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
