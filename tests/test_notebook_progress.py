"""The replications progress bar in a real Jupyter kernel (ipykernel, run by nbclient)."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("ipywidgets")

CELL = '''
from practicesim import load_scenario
from practicesim.experiment import replicate

scenario = load_scenario("tests/data/small_practice.yaml").with_changes(
    {"calendar.horizon_days": 60, "calendar.warmup_days": 30})
exp = replicate(scenario, reps="auto", batch=2, max_reps=4, precision=0.001, seed=1,
                executor="serial", progress=True)
len(exp.kpis)
'''


def test_progress_bar_is_a_live_widget_in_a_notebook():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(CELL)]
    nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = notebook.cells[0].outputs
    kinds = [o["output_type"] for o in outputs]
    assert "error" not in kinds
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in
               o.get("data", {})]
    assert widgets, f"expected the bar as an ipywidgets Output, got {outputs}"
    warnings = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert "install \"ipywidgets\"" not in warnings
    result = [o for o in outputs if o["output_type"] == "execute_result"]
    assert result and result[0]["data"]["text/plain"] == "4"
