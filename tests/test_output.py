"""Writing a run: all files or none."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from practicesim import Run
from practicesim.output import write_run


def test_written_tables_read_back_equal(tmp_path, small_run):
    out = write_run(small_run, tmp_path / "run")
    for name in Run.TABLES:
        back = pd.read_parquet(out / f"{name}.parquet")
        assert len(back) == len(getattr(small_run, name)), name
    assert json.loads((out / "run.json").read_text())["scenario_hash"] == small_run.scenario.hash


def test_a_failed_write_leaves_the_previous_run_untouched(tmp_path, small_run, monkeypatch):
    out = write_run(small_run, tmp_path / "run")
    before = (out / "run.json").read_text()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", explode)
    with pytest.raises(OSError, match="disk full"):
        write_run(small_run, out)
    assert (out / "run.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"], "staging left behind"
