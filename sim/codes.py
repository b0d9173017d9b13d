"""Category codes of the model, defined once: the integer a state array holds and the name a table or config shows.

Every table of names (``names()``) is derived from the enum, so a code and its name cannot drift apart;
``tests/test_codes.py`` pins each name to its code.
"""

from __future__ import annotations

from enum import IntEnum
from types import SimpleNamespace


class _Named(IntEnum):
    """An IntEnum whose members have a lowercase name as configs and tables write it."""

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Names in code order: ``names()[code]`` is the name of ``code``."""
        return tuple(m.label for m in sorted(cls))

    @classmethod
    def from_name(cls, name: str):
        return cls[name.upper()]


class Action(_Named):
    """What Russia does on a day."""

    HOLD = 0
    INCIDENTS = 1
    PROBE = 2
    OFFENSIVE = 3


class Level(_Named):
    """Rungs of the escalation ladder, lowest first: the first three are Russia's daily actions; a contained clash
    (an exchange of fire with guarantor troops) sits below renewed war, and can de-escalate or escalate."""

    QUIET = 0
    INCIDENTS = 1
    PROBE = 2
    CLASH = 3
    WAR = 4

    @property
    def label(self) -> str:
        return {Level.CLASH: "contained clash", Level.WAR: "war"}.get(self, self.name.lower())


class FailureMode(_Named):
    """How a ceasefire ended (NONE: it held): a deliberate offensive, a contained clash that escalated into war, or
    a spiral of sustained fighting (many days at probe level or above within weeks)."""

    NONE = 0
    OFFENSIVE = 1
    CLASH = 2
    SPIRAL = 3


class DecisionRule(_Named):
    """The coalition's rule for deciding a response."""

    LEAD_NATION = 0
    MAJORITY = 1
    UNANIMITY = 2


class MonitoringRegime(_Named):
    """Who monitors the ceasefire."""

    NONE = 0
    OBSERVERS = 1
    US_LED = 2


def plain(kind: type[_Named]) -> SimpleNamespace:
    """The codes of ``kind`` as plain ints by member name (``plain(Action).PROBE == 2``), for array arithmetic in
    the engine: numpy looks up several special attributes on an IntEnum operand, each a slow miss under Python
    3.11's Enum (about a microsecond a use), and the engine compares arrays with codes some 60 times a day."""
    return SimpleNamespace(**{m.name: int(m) for m in kind})


ACTION, LEVEL, FAILURE, RULE, REGIME = (plain(kind) for kind in (Action, Level, FailureMode, DecisionRule,
                                                                 MonitoringRegime))
