"""Command line: ``practicesim run``, ``validate``, ``compare``, ``sweep``, ``calibrate``,
``backtest`` and ``report``, a thin layer over the Python API.

Exit codes: 0 success, 2 user error (bad scenario, bad arguments), with a message naming the
file and key path of each problem (one line each) and no traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from practicesim import experiment
from practicesim.engine import simulate
from practicesim.files import OutputFolderError, check_output_folder
from practicesim.output import RESULT_FILES, write_comparison, write_run, write_sweep
from practicesim.progress import ReplicationProgress
from practicesim.report.labels import MONEY_KPIS
from practicesim.scenario import Scenario, ScenarioError, load_scenario
from practicesim.state import PracticeState, StateError, read_state
from practicesim.version import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate a medical practice as a business: visits, claims, cash, A/R.")
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

KPI_FORMATS = {
    "rate": ("clean_claim_rate", "initial_denial_rate", "initial_denial_rate_dollars",
             "first_pass_resolution_rate", "net_collection_rate", "gross_collection_rate",
             "denial_writeoff_pct", "cost_to_collect", "no_show_rate", "late_cancel_rate",
             "provider_utilization", "lost_request_rate", "ar_over_90_pct",
             "insurance_ar_over_90_pct", "patient_ar_over_90_pct",
             "denied_dollars_recovered_pct", "bad_debt_pct", "patient_collection_rate",
             "self_pay_collection_rate", "underpayment_rate", "underpayment_recovered"),
    "money": tuple(sorted(MONEY_KPIS)),
}


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code=2)


def _format(name: str, value: float) -> str:
    if name in KPI_FORMATS["rate"]:
        return f"{value:.1%}"
    if name in KPI_FORMATS["money"]:
        return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"
    return f"{value:,.1f}"


StateFolder = Annotated[Path | None, typer.Option(
    "--state", help="Start from this practice state (a folder with state.json, open_claims.csv "
    "and booked_appointments.csv, e.g. a previous run's end_state): the scenarios then start "
    "on its as_of date with no warm-up.")]


def _starting(scenarios: list[Scenario], folder: Path | None,
              ) -> tuple[list[Scenario], PracticeState | None]:
    """The scenarios moved to the state's date, and the state (None without ``--state``)."""
    if folder is None:
        return scenarios, None
    state = read_state(folder)
    errors.print(f"starting from the state of {state.as_of} in {folder}: "
                 f"{len(state.claims):,} open claims (${state.ar_cents / 100:,.0f}), "
                 f"{len(state.appointments):,} booked appointments", highlight=False)
    return [state.starting(s) for s in scenarios], state


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seed: Annotated[int, typer.Option(min=0, help="Random seed (same seed, same run).")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for the run's tables.")] = Path("output/run"),
    replication: Annotated[int, typer.Option(min=0, help="Replication number.")] = 0,
    state: StateFolder = None,
) -> None:
    """Simulate SCENARIO, print its KPIs and write its tables (Parquet), run.json and the state
    it ends in (end_state/, to continue from with --state) to OUT."""
    try:
        [loaded], start = _starting([load_scenario(scenario)], state)
    except (ScenarioError, StateError) as exc:
        raise _fail(str(exc)) from None
    try:
        check_output_folder(out, RESULT_FILES)
    except OutputFolderError as exc:
        raise _fail(str(exc)) from None
    n_days = loaded.calendar.warmup_days + loaded.calendar.horizon_days
    with Progress(TextColumn("[bold]simulating[/] {task.description}"), BarColumn(),
                  TextColumn("day {task.completed:.0f}/{task.total:.0f}"),
                  TimeRemainingColumn(), console=errors, transient=True) as progress:
        task = progress.add_task(loaded.name, total=n_days)
        try:
            result = simulate(loaded, seed=seed, replication=replication, state=start,
                              progress=lambda day: progress.update(task, completed=day + 1))
        except StateError as exc:
            raise _fail(str(exc)) from None
    kpis = result.kpis()
    try:
        written = write_run(result, out, source=scenario, state=start)
    except (OutputFolderError, StateError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{out}: cannot write output ({exc.strerror or exc})") from None
    table = Table(title=f"{loaded.name}: {loaded.calendar.start} + {loaded.calendar.horizon_days}"
                        f" days, seed {seed}")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for name, value in kpis.items():
        table.add_row(name, _format(str(name), float(value)))
    console.print(table)
    console.print(f"tables, run.json and end_state/ written to [bold]{written}[/]")


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")]) -> None:
    """Check SCENARIO and explain any mistake (file, key path, expected, found)."""
    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        raise _fail(str(exc)) from None
    seats = sum(p.count for p in loaded.providers)
    console.print(
        f"{scenario}: valid scenario {loaded.name!r}: {seats} providers, "
        f"{len(loaded.payers)} payers, {len(loaded.changes)} dated changes, "
        f"hash {loaded.hash[:12]}"
    )


Seed = Annotated[int, typer.Option(min=0, help="Random seed.")]
Workers = Annotated[int, typer.Option(min=0, help="Processes (0: all cores, 1: serial).")]
Scheduler = Annotated[str | None, typer.Option(
    help="Dask scheduler address (tcp://host:port) to run the replications on.")]


def _executor(scheduler: str | None, workers: int) -> str:
    return scheduler or ("serial" if workers == 1 else "processes")


def _checkpoint(out: Path) -> Path:
    """Where finished replications wait until the results are written: the same ``--out``
    after an interruption resumes from them."""
    return out.parent / f".{out.name}.replications"


@app.command()
def compare(
    baseline: Annotated[Path, typer.Argument(help="Baseline scenario YAML file.")],
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files to compare with it.")],
    reps: Annotated[int, typer.Option(min=1, help="Replications (paired).")] = 30,
    seed: Seed = 0,
    workers: Workers = 0,
    out: Annotated[Path, typer.Option(help="Folder for the results.")] = Path("output/compare"),
    scheduler: Scheduler = None,
    state: StateFolder = None,
) -> None:
    """Compare SCENARIOS with BASELINE on the same replications (common random numbers)."""
    try:
        [base, *others], start = _starting(
            [load_scenario(baseline), *(load_scenario(path) for path in scenarios)], state)
        check_output_folder(out, RESULT_FILES)
    except (ScenarioError, StateError, OutputFolderError) as exc:
        raise _fail(str(exc)) from None
    with ReplicationProgress(reps * (1 + len(others)), console=errors) as advance:
        try:
            result = experiment.compare(
                base, *others, reps=reps, seed=seed, workers=workers or None,
                executor=_executor(scheduler, workers), progress=advance,
                checkpoint=_checkpoint(out), state=start)
        except ValueError as exc:
            raise _fail(str(exc)) from None
    summary = result.summary()
    decision = result.decision()
    for name in result.scenarios:
        table = Table(title=f"{name} vs {base.name}: {reps} paired replications, seed {seed}")
        for column in ("KPI", "baseline", name, "difference", "95% interval", "P(better)"):
            table.add_column(column, justify="left" if column == "KPI" else "right")
        for kpi, row in summary.loc[name].iterrows():
            table.add_row(str(kpi), _format(str(kpi), row["baseline"]),
                          _format(str(kpi), row["value"]), _format(str(kpi), row["difference"]),
                          f"{_format(str(kpi), row['ci_low'])} to "
                          f"{_format(str(kpi), row['ci_high'])}", f"{row['p_better']:.0%}")
        console.print(table)
        console.print(_decision_line(decision.loc[name]))
    try:
        written = write_comparison(result, out)
        shutil.rmtree(_checkpoint(out), ignore_errors=True)
    except OutputFolderError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"{out}: cannot write output ({exc.strerror or exc})") from None
    console.print(f"results written to [bold]{written}[/]")


SWEEP_KPIS = ("net_cash_flow", "collections", "days_in_ar", "initial_denial_rate",
              "denial_writeoff_pct", "ending_denial_backlog")


def _parse_param(text: str) -> tuple[str, list[object]]:
    """``"staff.billers.count=1,2,3"`` -> ``("staff.billers.count", [1, 2, 3])``."""
    path, sep, values = text.partition("=")
    if not sep or not path or not values:
        raise typer.BadParameter(f"expected PATH=V1,V2,..., got {text!r}")
    return path.strip(), [yaml.safe_load(v) for v in values.split(",")]


@app.command()
def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    param: Annotated[list[str], typer.Option(
        help="PATH=V1,V2,... (repeat for a grid over several parameters).")],
    reps: Annotated[int, typer.Option(min=1, help="Replications per point.")] = 10,
    seed: Seed = 0,
    workers: Workers = 0,
    out: Annotated[Path, typer.Option(help="Folder for the results.")] = Path("output/sweep"),
    scheduler: Scheduler = None,
    state: StateFolder = None,
) -> None:
    """Run SCENARIO over a grid of parameter values (same replications at every point)."""
    try:
        [loaded], start = _starting([load_scenario(scenario)], state)
        grid = dict(_parse_param(p) for p in param)
        check_output_folder(out, RESULT_FILES)
    except (ScenarioError, StateError, OutputFolderError) as exc:
        raise _fail(str(exc)) from None
    points = 1
    for values in grid.values():
        points *= len(values)
    with ReplicationProgress(points * reps, console=errors) as advance:
        try:
            table = experiment.sweep(loaded, grid, reps=reps, seed=seed, workers=workers or None,
                                     executor=_executor(scheduler, workers), progress=advance,
                                     checkpoint=_checkpoint(out), state=start)
        except (ScenarioError, ValueError) as exc:
            raise _fail(str(exc)) from None
    means = table.groupby(list(grid), sort=False)[list(SWEEP_KPIS)].mean().reset_index()
    view = Table(title=f"{loaded.name}: {points} points x {reps} replications, seed {seed} "
                       "(means)")
    for column in means.columns:
        view.add_column(str(column), justify="right")
    for row in means.astype(object).itertuples(index=False):
        view.add_row(*[_format(str(c), float(v)) if c in SWEEP_KPIS else str(v)
                       for c, v in zip(means.columns, row, strict=True)])
    console.print(view)
    try:
        written = write_sweep(table, loaded, grid, seed, out)
        shutil.rmtree(_checkpoint(out), ignore_errors=True)
    except OSError as exc:
        raise _fail(f"{out}: cannot write output ({exc.strerror or exc})") from None
    console.print(f"results written to [bold]{written}[/]")


def _decision_line(d: pd.Series) -> str:
    """The decision in one sentence: 12-month (or last month's) cash difference, break-even."""
    months = [int(k[len("cash_diff_m"):]) for k in d.index
              if k.startswith("cash_diff_m") and k[len("cash_diff_m"):].isdigit()]
    if not months:
        return "the horizon is shorter than six months: see the monthly differences"
    m = max(months)
    line = (f"{m}-month net cash difference: {_format('charges', d[f'cash_diff_m{m}'])} "
            f"(90% interval {_format('charges', d[f'cash_diff_m{m}_low'])} to "
            f"{_format('charges', d[f'cash_diff_m{m}_high'])})")
    even = d["break_even_month"]
    return line + (f"; break-even month {even:.0f}" if even == even
                   else "; no break-even within the horizon")


Appointments = Annotated[Path | None, typer.Option(help="Appointment export (CSV).")]
AppointmentsMapping = Annotated[Path | None, typer.Option(
    help="Column mapping of the appointment export (YAML; see calibration/).")]
Transactions = Annotated[Path | None, typer.Option(help="Charge and transaction report (CSV).")]
TransactionsMapping = Annotated[Path | None, typer.Option(
    help="Column mapping of the transaction report (YAML).")]
Synthea = Annotated[Path | None, typer.Option(
    help="Folder of a Synthea CSV export (encounters, claims, claims_transactions, payers, "
         "patients): its visits and ledger stand in for the sources not given.")]
Base = Annotated[Path, typer.Option(help="Scenario whose figures stand where the data say "
                                         "nothing.")]


def _read_sources(appointments: Path | None, appointments_mapping: Path | None,
                  transactions: Path | None, transactions_mapping: Path | None,
                  synthea: Path | None) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The appointments and the ledger the options name (Synthea's for those not given).
    Raises ``DataError`` on bad input; a CSV without its mapping is a user error."""
    from practicesim.calibrate import read_appointments, read_synthea, read_transactions

    if (appointments is None) != (appointments_mapping is None) or (
            (transactions is None) != (transactions_mapping is None)):
        raise _fail("each export goes with its mapping (--appointments with "
                    "--appointments-mapping, --transactions with --transactions-mapping)")
    visits = read_appointments(appointments, appointments_mapping) if appointments else None
    ledger = read_transactions(transactions, transactions_mapping) if transactions else None
    if synthea is not None:
        export = read_synthea(synthea)
        visits = export.appointments if visits is None else visits
        ledger = export.ledger if ledger is None else ledger
    return visits, ledger


@app.command()
def calibrate(
    out: Annotated[Path, typer.Option(help="Folder for scenario.yaml, parameters.csv, "
                                           "excluded.csv, suppressed.csv and report.html.")],
    appointments: Appointments = None,
    appointments_mapping: AppointmentsMapping = None,
    transactions: Transactions = None,
    transactions_mapping: TransactionsMapping = None,
    remittances: Annotated[Path | None, typer.Option(
        help="Folder of X12 835 remittance files (used for payers without --transactions).")
    ] = None,
    synthea: Synthea = None,
    base: Base = Path("scenarios/baseline.yaml"),
    contracts: Annotated[Path | None, typer.Option(
        help="Contract table CSV (payer, code, allowed dollars per unit): with --remittances, "
             "each payer's underpayments and contract rates.")] = None,
) -> None:
    """Fit a scenario of the practice to its exports (any subset of sources) and write it with
    its parameters, sources and intervals, the excluded rows and a report."""
    from practicesim.calibrate import calibration as cal
    from practicesim.calibrate import read_835
    from practicesim.calibrate.errors import DataError

    if all(x is None for x in (appointments, transactions, remittances, synthea)):
        raise _fail("give at least one source: --appointments, --transactions, --remittances "
                    "or --synthea")
    try:
        check_output_folder(out, cal.RESULT_FILES)
        visits, ledger = _read_sources(appointments, appointments_mapping, transactions,
                                       transactions_mapping, synthea)
        remitted = read_835(remittances) if remittances is not None else None
        result = cal.calibrate(appointments=visits, transactions=ledger, remittances=remitted,
                               base=load_scenario(base), contracts=contracts)
        written = result.write(out)
    except (DataError, ScenarioError, OutputFolderError) as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:
        raise _fail(f"cannot calibrate: {exc}") from None
    used = [name for name, given in (("appointments", visits is not None),
                                     ("transactions", ledger is not None),
                                     ("remittances", remitted is not None)) if given]
    used += ["synthea"] if synthea is not None else []
    missing = sorted({"appointments", "transactions"} - set(used)) if synthea is None else []
    console.print(f"calibrated {len(result.parameters)} parameters from {', '.join(used)}; "
                  "the base scenario's figures stand for everything else"
                  + (f" (no {' or '.join(missing)} given)" if missing else ""))
    console.print(f"{len(result.excluded)} rows excluded as data errors, "
                  f"{len(result.suppressed)} cells suppressed (fewer than 11 patients)")
    console.print(f"scenario.yaml, parameters.csv and report.html written to [bold]{written}[/]")


@app.command()
def backtest(
    split: Annotated[str, typer.Option(help="Date (YYYY-MM-DD): calibrate on the data before "
                                            "it, simulate from it to the data's end.")],
    out: Annotated[Path, typer.Option(help="Folder for backtest.csv, coverage.csv, "
                                           "skipped.csv and backtest.png.")],
    appointments: Appointments = None,
    appointments_mapping: AppointmentsMapping = None,
    transactions: Transactions = None,
    transactions_mapping: TransactionsMapping = None,
    synthea: Synthea = None,
    base: Base = Path("scenarios/baseline.yaml"),
    reps: Annotated[int, typer.Option(min=2, help="Replications.")] = 20,
    seed: Seed = 1,
) -> None:
    """Check the calibrated model against the practice's own history after SPLIT: monthly
    visits, no-show rate, charges, collections, A/R and days in A/R against the simulated 90%
    bands."""
    import datetime as dt

    from practicesim import backtest as bt
    from practicesim.calibrate.errors import DataError

    try:
        when = dt.date.fromisoformat(split)
    except ValueError:
        raise _fail(f"--split: expected a date YYYY-MM-DD, found {split!r}") from None
    try:
        check_output_folder(out, bt.RESULT_FILES)
        visits, ledger = _read_sources(appointments, appointments_mapping, transactions,
                                       transactions_mapping, synthea)
        if visits is None or ledger is None:
            raise _fail("a backtest needs appointments and transactions (or --synthea)")
        result = bt.backtest(visits, ledger, when, base=load_scenario(base), reps=reps,
                             seed=seed)
        written = result.write(out)
    except (DataError, ScenarioError, OutputFolderError, StateError) as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:
        raise _fail(f"cannot backtest: {exc}") from None
    table = Table(title=f"backtest from {when}: share of months inside the simulated 90% band")
    table.add_column("measure")
    table.add_column("inside", justify="right")
    for measure, share in result.coverage.items():
        table.add_row(str(measure), f"{share:.0%}")
    console.print(table)
    console.print(f"backtest.csv, coverage.csv and backtest.png written to [bold]{written}[/]")


@app.command()
def report(
    results: Annotated[Path, typer.Argument(
        help="Folder written by practicesim compare --out or practicesim sweep --out.")],
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path("report.html"),
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print it to PDF (beside it, .pdf), "
                                                    "with headless Chromium.")] = False,
) -> None:
    """Turn a comparison's or a sweep's results into one self-contained HTML report for the
    practice owner: the answer first, the KPI table with targets, figures, assumptions and
    method."""
    from practicesim.files import atomic_path
    from practicesim.report.browser import find_chromium, print_pdf
    from practicesim.report.html import ReportError, comparison_report
    from practicesim.report.sweep import sweep_report

    try:
        is_sweep = (results / "sweep.json").is_file()
        text = sweep_report(results) if is_sweep else comparison_report(results)
    except ReportError as exc:
        raise _fail(str(exc)) from None
    if out.exists() and (out.is_dir() or out.suffix.lower() not in (".html", ".htm")):
        raise _fail(f"{out}: exists and is not an HTML file; give --out a .html path")
    if pdf and find_chromium() is None:
        raise _fail("--pdf needs Chromium (apt-get install chromium); none found")
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    console.print(f"report written to [bold]{out}[/]")
    if pdf:
        printed = out.with_suffix(".pdf")
        with atomic_path(printed) as tmp:
            print_pdf(out, tmp)
        console.print(f"PDF written to [bold]{printed}[/]")


@app.command()
def version() -> None:
    """Print the package version."""
    console.print(__version__)


if __name__ == "__main__":
    app()
