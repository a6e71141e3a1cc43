"""Writing a run to disk: one Parquet file per table and ``run.json``, all or nothing.

The files are written into a temporary folder beside the destination, which is then renamed
into place, so a reader never sees a half-written run (a previous run in the folder is replaced
only once the new one is complete).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from practicesim import __version__
from practicesim.results import Run


def run_metadata(run: Run, source: str | Path | None = None) -> dict[str, object]:
    """What reproduces the run: the scenario, its hash, the package version and the seed."""
    return {
        "practicesim_version": __version__,
        "scenario_name": run.scenario.name,
        "scenario_hash": run.scenario.hash,
        "scenario_file": str(source) if source is not None else None,
        "seed": run.seed,
        "replication": run.replication,
        "tables": {name: len(getattr(run, name)) for name in Run.TABLES},
        "scenario": run.scenario.model_dump(mode="json", by_alias=True),
    }


def write_run(run: Run, out: str | Path, source: str | Path | None = None) -> Path:
    """Write ``<table>.parquet`` for each table and ``run.json`` to ``out`` atomically."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name in Run.TABLES:
            getattr(run, name).to_parquet(staging / f"{name}.parquet", index=False)
        (staging / "run.json").write_text(json.dumps(run_metadata(run, source), indent=2))
        _replace_dir(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _replace_dir(new: Path, target: Path) -> None:
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
