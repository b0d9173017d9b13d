"""``CeasefireModel``: one scenario of the batch as a Mesa model, with agents, a data collector and a narrative.

The model holds the scenario as a one-row ``State`` with its ``Params`` and counter-based ``Streams``, exactly as
row ``scenario`` of the batch engine sees them; the agents (``sim.agents``) are views of that state. A day runs
the engine's phases in the order of ``engine.PHASES``, each acted by its agent:

1. Russia chooses              ``RussiaAgent``
2. monitoring                  the model (the mission's regime is a parameter, not an actor's choice)
3. Ukraine responds            ``UkraineAgent``
4. guarantors respond          ``CoalitionAgent`` (the US backstop and the coalition, one engine function)
5. combat                      the model
6. Russia learns               ``RussiaAgent``
7. slow variables              the model (members' support and withdrawal, US attention, review)
8. escalation and status       the model

so a scenario gives the batch's outcome, series and collapse day exactly. Mesa's own random generators are
not used by any rule.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import lru_cache

import mesa
import numpy as np
import pandas as pd

from sim import engine, narrative
from sim.agents import CoalitionAgent, CoalitionMemberAgent, RussiaAgent, UkraineAgent, USAgent
from sim.compose import compose_config
from sim.config import Config
from sim.design import build_params, design_keys, param_columns
from sim.observables import SERIES, outcomes, series
from sim.rng import Streams
from sim.state import Today
from sim.tables import outcome_frame

MEMBER_REPORTERS = ("support", "troops_k", "active")


@lru_cache(maxsize=32)
def _composed(overrides: tuple[str, ...]) -> Config:
    return compose_config(list(overrides))


class CeasefireModel(mesa.Model):
    """Scenario ``scenario`` of the design ``config`` (or of the config composed from Hydra ``overrides``).

    ``datacollector`` keeps the daily series and the end-of-run outcome apart. With ``collect="series"`` (the
    default) its model reporters are the ``observables.SERIES`` (one row per day, day 0 collected at
    construction) and the outcome is its table ``"outcome"`` (``get_table_dataframe("outcome")``: one row, added
    when the scenario ends). ``mesa.batch_run`` reads model reporters only, so for a sweep the Mesa way pass
    ``collect="outcome"``: the model reporters are then the outcome columns (None until the scenario ends; no
    series are kept). Agent reporters in both: ``support``, ``troops_k``, ``active`` (members; None for the others).

    ``mesa.batch_run`` can sweep ``scenario``, ``config`` (wrap one Config in a list: ``[cfg]``) or
    ``overrides`` (one override string per value, or a tuple of strings); pass ``max_steps=horizon_days``.
    Attributes: ``day`` (days simulated), ``state``/``params``/``streams`` (the engine's one-row view),
    ``today`` (the last day's ``Today``), the agents ``russia``, ``ukraine``, ``us``, ``coalition`` and
    ``members``, ``events`` (``narrative.Event`` records) and ``datacollector``.
    """

    COLLECT = ("series", "outcome")  # what the data collector's model reporters hold

    def __init__(self, config: Config | None = None, scenario: int = 0,
                 overrides: str | Sequence[str] | None = None, rng=None, collect: str = "series"):
        if collect not in self.COLLECT:
            raise ValueError(f"collect={collect!r} is not one of {', '.join(self.COLLECT)}: 'series' keeps the "
                             "daily series as model reporters (the outcome in the table 'outcome'), 'outcome' the "
                             "outcome columns (for mesa.batch_run)")
        if config is not None and overrides is not None:
            raise ValueError("give config or overrides, not both")
        if config is None:
            config = _composed((overrides,) if isinstance(overrides, str) else tuple(overrides or ()))
        if not isinstance(config, Config):
            raise TypeError(f"config={config!r} must be a sim.Config (see sim.compose_config)")
        if isinstance(scenario, bool) or not isinstance(scenario, int | np.integer):
            raise TypeError(f"scenario={scenario!r} must be an integer scenario index, 0 to "
                            f"{config.n_scenarios - 1} (n_scenarios={config.n_scenarios})")
        if not 0 <= scenario < config.n_scenarios:
            raise ValueError(f"scenario={scenario!r} is outside [0, {config.n_scenarios}): the design has "
                             f"n_scenarios={config.n_scenarios}")
        # Seeded so that anything built on Mesa's generators is reproducible; the rules draw from self.streams.
        super().__init__(rng=rng if rng is not None else [config.seed, int(scenario)])
        self.config = config
        self.scenario_index = int(scenario)  # Mesa >= 3.5 reserves Model.scenario
        rows = np.array([self.scenario_index], dtype=np.int64)
        self.params = build_params(config, rows)
        self._param_columns = param_columns(self.params, design_keys(config))
        self.streams = Streams(config.seed, rows)
        self.state = engine.initial_state(self.params, self.streams)
        self.day = 0
        self.today: Today | None = None
        self.finished = False  # the scenario has ended (collapse or horizon); ``running`` follows one tick later

        self.russia = RussiaAgent(self)
        self.ukraine = UkraineAgent(self)
        self.us = USAgent(self)
        self.coalition = CoalitionAgent(self)
        exists = np.flatnonzero(np.arange(self.params.member_slots) < self.params.coalition.members[0])
        self.members = [CoalitionMemberAgent(self, int(slot)) for slot in exists]
        actor = {phase: agent for agent in (self.russia, self.ukraine, self.us, self.coalition)
                 for phase in agent.PHASES}
        self._actors = [(phase, actor.get(phase, self)) for phase in engine.PHASES]

        self.events = narrative.opening_events(self.state, self.params)
        self._last_review: dict | None = None  # Russia's last strategic review, for the story of an offensive
        self._series = series(self.state, self.params, None)
        self._final: pd.Series | None = None
        self.collect = collect
        columns = list(self.outcome_frame().columns)
        if collect == "series":
            reporters = {name: (lambda m, name=name: float(m._series[name][0])) for name in SERIES}
            tables = {"outcome": columns}
        else:
            reporters = {name: (lambda m, name=name: None if m._final is None else m._final[name])
                         for name in columns}
            tables = {}
        # Agent reporters read members only (others give None): Mesa >= 3.5 rejects a missing attribute name.
        self.datacollector = mesa.DataCollector(
            model_reporters=reporters, tables=tables,
            agent_reporters={name: (lambda a, name=name: getattr(a, name, None)) for name in MEMBER_REPORTERS})
        self.datacollector.collect(self)

    def act(self, phase, today: Today) -> None:
        """Run an engine phase that belongs to no agent (monitoring, combat, slow variables, status)."""
        phase(self.state, self.params, self.streams, today)

    def step(self) -> None:
        """Advance one day: the engine's phases in order, then events and data collection.

        After the last day (collapse or horizon) a step changes nothing and sets ``running`` to False: Mesa's
        ``batch_run`` before 3.5 reads the record of step ``steps - 1`` (mesa issue #2514), so this closing
        tick is what makes it return the last day.
        """
        if self.finished:
            self.running = False
            return
        before = copy.copy(self.state)  # phases rebind fields, so this keeps the morning's arrays
        today = Today(day=self.day + 1)
        for phase, actor in self._actors:
            actor.act(phase, today)
        self.day, self.today = today.day, today
        self.finished = bool(self.state.collapsed[0]) or self.day >= self.config.horizon_days
        self.events.extend(narrative.day_events(before, self.state, self.params, today, self._last_review))
        self._last_review = narrative.review_terms(before, today) or self._last_review
        if self.collect == "series":
            self._series = series(self.state, self.params, today)
        if self.finished:
            self._final = self.outcome()
            if self.collect == "series":
                self.datacollector.add_table_row("outcome", self._final.to_dict())
        self.datacollector.collect(self)

    def run(self) -> pd.Series:
        """Step to the collapse or the horizon, as the batch does; returns the outcome row."""
        while not self.finished:
            self.step()
        self.running = False
        return self.outcome()

    def outcome_frame(self) -> pd.DataFrame:
        """The outcome as a one-row table, exactly a row of ``BatchResult.outcomes`` (columns and dtypes)."""
        rows = np.array([self.scenario_index], dtype=np.int64)
        return outcome_frame(rows, outcomes(self.state, self.params, self.config.horizon_days), self._param_columns)

    def outcome(self) -> pd.Series:
        """The outcome row (final once the scenario has ended): ``run_batch(config).outcomes.loc[scenario]``."""
        return self.outcome_frame().iloc[0]

    def narrative(self, language: str = "en") -> str:
        """The story so far, one sentence per line (see ``sim.narrative``)."""
        return "\n".join(narrative.narrate(self.events, language))
