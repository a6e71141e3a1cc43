"""practicesim: a medical practice simulated as a business, from demand to cash."""

from practicesim.engine import simulate
from practicesim.experiment import compare, replicate, sweep
from practicesim.results import Run
from practicesim.scenario import Scenario, ScenarioError, load_scenario
from practicesim.version import __version__

__all__ = [
    "Run",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "load_scenario",
    "replicate",
    "simulate",
    "sweep",
]
