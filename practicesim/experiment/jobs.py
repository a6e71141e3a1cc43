"""Running replications: one job is one (scenario, seed, replication, starting state), run on
an executor (``"serial"``, ``"processes"`` or a Dask cluster) by ``run_jobs``, which keeps only
each run's summaries (``Replication``), can stream its full tables to disk
(``write_replication_tables``) and can save every finished replication in a checkpoint folder
to resume from.

Whatever the executor and number of workers, results are identical, bit for bit, and in job
order: each replication depends only on its scenario, seed, number and state.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from practicesim.engine import simulate
from practicesim.experiment.series import daily_series, monthly_series
from practicesim.results import Run
from practicesim.scenario import Scenario
from practicesim.state import PracticeState


@dataclass(frozen=True)
class Replication:
    """What one replication returns: its KPIs, its monthly and daily series (dollars)."""

    replication: int
    kpis: pd.Series
    monthly: pd.DataFrame
    daily: pd.DataFrame


def run_replication(scenario: Scenario, seed: int, replication: int,
                    state: PracticeState | None = None,
                    tables: str | Path | None = None) -> Replication:
    """Simulate one replication (from ``state`` when given) and keep only its summaries (small
    enough to send between processes). With ``tables`` (a folder), the run's tables are
    written there first (``write_replication_tables``); nothing else of the run is kept."""
    run = simulate(scenario, seed=seed, replication=replication, state=state)
    if tables is not None:
        write_replication_tables(run, Path(tables))
    return Replication(replication, run.kpis(), monthly_series(run),
                       daily_series(run.daily))


def write_replication_tables(run: Run, folder: Path) -> None:
    """Write each table of ``run`` to ``folder/<table>/r<replication>.parquet`` with a
    ``replication`` column first, each file atomically (a reader never sees half a file)."""
    for name in Run.TABLES:
        table = getattr(run, name).copy(deep=False)
        table.insert(0, "replication", np.int32(run.replication))
        target = folder / name / f"r{run.replication:06d}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        table.to_parquet(partial, index=False)
        os.replace(partial, target)


class Job(NamedTuple):
    """One replication to run: its scenario, seed, number and starting state, and the folder
    its tables go to (None: not kept)."""

    scenario: Scenario
    seed: int
    replication: int
    state: PracticeState | None = None
    tables: str | Path | None = None


def _run_job(job: Job) -> Replication:
    return run_replication(*job)


Executor = str | Any
"""``"serial"``, ``"processes"``, a Dask scheduler address (``"tcp://host:port"``) or a
``dask.distributed.Client``."""


def run_jobs(jobs: Sequence[Job], executor: Executor = "processes",
             workers: int | None = None, progress: Callable[[int], None] | None = None,
             checkpoint: str | Path | None = None) -> list[Replication]:
    """Run jobs (scenario, seed, replication, state) on an executor; results in job order.

    With ``checkpoint`` (a folder), each finished replication is saved there as it completes,
    and replications already saved (same scenario, seed, number and state) are read back instead
    of run again: an interrupted experiment started again resumes where it stopped.
    """
    store = Path(checkpoint) if checkpoint is not None else None
    results: list[Replication | None] = [None] * len(jobs)
    if store is not None:
        store.mkdir(parents=True, exist_ok=True)
        for i, job in enumerate(jobs):
            saved = store / f"{_job_key(job)}.pkl"
            if saved.exists():
                results[i] = pickle.loads(saved.read_bytes())
    todo = [i for i, r in enumerate(results) if r is None]
    done = len(jobs) - len(todo)

    def finished(i: int, result: Replication) -> None:
        nonlocal done
        results[i] = result
        if store is not None:
            _save_atomically(store / f"{_job_key(jobs[i])}.pkl", pickle.dumps(result))
        done += 1
        if progress:
            progress(done)

    _dispatch([(i, jobs[i]) for i in todo], executor, workers, finished)
    return results  # type: ignore[return-value]


CHECKPOINT_FORMAT = 6
"""Version of the saved ``Replication`` (2: with daily series; 3: with revenue-cycle costs,
vendor fees and coding backlog in them; 4: monthly A/R aging, waterfall postings, provider
utilization, lead time and lost requests; 5: the same content, pickled from its new module
``practicesim.experiment.jobs``; 6: draws keyed by identity, so a seed's numbers differ from
format 5's); part of every checkpoint key, so that files of an older
format are never read back (they are recomputed)."""


def _job_key(job: Job) -> str:
    state = job.state.hash if job.state is not None else ""
    tables = str(Path(job.tables).resolve()) if job.tables is not None else ""
    text = (f"v{CHECKPOINT_FORMAT}:{job.scenario.hash}:{job.seed}:{job.replication}:{state}:"
            f"{tables}")
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _save_atomically(path: Path, data: bytes) -> None:
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _dispatch(indexed: list[tuple[int, Job]], executor: Executor,
              workers: int | None, finished: Callable[[int, Replication], None]) -> None:
    """Run the jobs and call ``finished(index, result)`` as each completes."""
    if not isinstance(executor, str) or executor.startswith(("tcp://", "tls://", "inproc://")):
        _run_on_dask(indexed, executor, finished)
        return
    if executor not in ("serial", "processes"):
        raise ValueError("executor must be 'serial', 'processes', a Dask scheduler address or "
                         f"a dask.distributed Client, got {executor!r}")
    if executor == "serial" or len(indexed) <= 1:
        for i, job in indexed:
            finished(i, _run_job(job))
        return
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        futures = {pool.submit(_run_job, job): i for i, job in indexed}
        for future in as_completed(futures):
            finished(futures[future], future.result())


def _run_on_dask(indexed: list[tuple[int, Job]], executor: Any,
                 finished: Callable[[int, Replication], None]) -> None:
    """Run the jobs on a Dask cluster (the optional ``practicesim[dask]`` extra)."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ValueError("a Dask executor needs the dask extra: pip install "
                         "'practicesim[dask]'") from None
    if not indexed:
        return
    client = executor if isinstance(executor, Client) else Client(executor)
    try:
        futures = client.map(_run_job, [job for _, job in indexed], pure=False)
        position = {future.key: i for (i, _), future in zip(indexed, futures, strict=True)}
        for future in dask_completed(futures):
            finished(position[future.key], future.result())
    finally:
        if client is not executor:
            client.close()
