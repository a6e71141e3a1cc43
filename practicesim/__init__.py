"""practicesim: a medical practice simulated as a business, from demand to cash."""

from practicesim.engine import simulate
from practicesim.results import Run
from practicesim.scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"
__all__ = ["Run", "Scenario", "ScenarioError", "__version__", "load_scenario", "simulate"]
