"""Replications and paired scenario comparisons with common random numbers.

One simulated year is one sample. ``replicate`` runs a scenario ``reps`` times (replication r
uses the random streams of ``(seed, r)``) and summarises each KPI and monthly series with its
mean, standard deviation, confidence interval and P10/P50/P90. ``compare`` runs a baseline and
scenarios on the same replications: because every random stream is keyed by name and entity
(and each claim draws its own numbers), a scenario that changes one thing sees the same demand,
no-shows and payer luck as the baseline, so the paired differences have a small variance.

Executors: ``"serial"`` (in this process), ``"processes"`` (a local process pool, the
default), or a Dask cluster: a ``dask.distributed.Client`` or a scheduler address (the
``practicesim[dask]`` extra). Results are identical, bit for bit, whatever the executor and
number of workers: each replication depends only on its scenario, seed and number, and results
are ordered by replication.

The package, one module per concern (this module only re-exports them):

- ``jobs``: running replications on an executor, checkpoints, streamed tables
  (``Job``, ``Replication``, ``run_replication``, ``run_jobs``, ``write_replication_tables``);
- ``series``: a run's monthly and daily series (``monthly_series``, ``daily_series``,
  ``aging_at``, ``AGING_COLUMNS``);
- ``statistics``: intervals and summaries over replications (``interval``, ``half_width``,
  ``describe``, ``HIGHER_IS_BETTER``);
- ``replications``: ``replicate`` and its ``Experiment``;
- ``comparison``: ``compare`` and its ``Comparison``;
- ``sweeps``: ``sweep``, ``tornado``, ``sobol`` and ``best_option``.
"""

from practicesim.experiment.comparison import Comparison, compare
from practicesim.experiment.jobs import (
    CHECKPOINT_FORMAT,
    Executor,
    Job,
    Replication,
    run_jobs,
    run_replication,
    write_replication_tables,
)
from practicesim.experiment.replications import Experiment, replicate
from practicesim.experiment.series import (
    AGING_COLUMNS,
    aging_at,
    daily_series,
    monthly_series,
)
from practicesim.experiment.statistics import HIGHER_IS_BETTER, describe, half_width, interval
from practicesim.experiment.sweeps import best_option, sobol, sweep, tornado

__all__ = [
    "AGING_COLUMNS",
    "CHECKPOINT_FORMAT",
    "HIGHER_IS_BETTER",
    "Comparison",
    "Executor",
    "Experiment",
    "Job",
    "Replication",
    "aging_at",
    "best_option",
    "compare",
    "daily_series",
    "describe",
    "half_width",
    "interval",
    "monthly_series",
    "replicate",
    "run_jobs",
    "run_replication",
    "sobol",
    "sweep",
    "tornado",
    "write_replication_tables",
]
