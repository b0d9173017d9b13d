"""ceasefire-sim: an agent model of a post-ceasefire security guarantee for Ukraine.

One model, two drivers: ``run_batch`` steps thousands of scenarios at once with numpy; ``CeasefireModel``
(Mesa) steps one scenario with agents. Both call the same rules (``sim.rules``) in the same phase order
(``sim.engine``) with the same counter-based random streams (``sim.rng``).
"""

from sim.batch import BatchResult, run_batch
from sim.compose import compose_config
from sim.config import Config, ConfigError
from sim.model import CeasefireModel

__all__ = ["BatchResult", "CeasefireModel", "Config", "ConfigError", "compose_config", "run_batch"]
__version__ = "0.1.0"
