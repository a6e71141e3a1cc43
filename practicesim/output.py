"""Writing results to disk, each all or nothing (``practicesim.files``): a run (one Parquet
file per table, ``run.json`` and its end state), a comparison and a sweep.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from practicesim.experiment import Comparison
from practicesim.files import write_atomically
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

    return write_atomically(Path(out), fill, RESULT_FILES)


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

    return write_atomically(Path(out), fill, RESULT_FILES)


END_STATE = "end_state"
RESULT_FILES = frozenset({*(f"{name}.parquet" for name in Run.TABLES), "run.json", END_STATE,
                          "comparison.json", "kpis.parquet", "monthly.parquet",
                          "differences.parquet", "cash_differences.parquet", "summary.parquet",
                          "decision.parquet", "sweep.parquet", "sweep.json"})


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

    return write_atomically(Path(out), fill, RESULT_FILES)
