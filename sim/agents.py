"""The Mesa agents of one scenario: Russia, Ukraine, the US, the coalition and each of its members.

An agent holds no state of its own: each attribute is a view of its entries in the model's one-scenario
``State`` (``sim.engine``), so reading an attribute shows what the batch engine would hold for that scenario and
setting one between steps changes what follows. An agent acts by calling the engine's phase functions for its
phases (``PHASES``); the model runs all phases in the engine's order. No rule is written here.
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from sim import engine
from sim import rules as R
from sim.codes import Action, DecisionRule
from sim.state import MEMBER_FIELDS, Today, refresh_coalition


class StateField:
    """Agent attribute that reads and writes the agent's entry of one ``State`` field.

    Writing rebinds the field to a changed copy, as the phases do, so arrays already handed out (the data
    collector's records, a previous day's ``Today``) are never altered.
    """

    def __init__(self, field: str, kind: type = float, low: float = -math.inf, high: float = math.inf,
                 writable: bool = True, doc: str = ""):
        self.field, self.kind, self.low, self.high, self.writable = field, kind, low, high, writable
        self.__doc__ = doc

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        return self.kind(getattr(agent.model.state, self.field)[agent.index])

    def __set__(self, agent, value) -> None:
        if not self.writable:
            raise AttributeError(f"{type(agent).__name__}.{self.name} is a record of what happened; it is read-only")
        if self.kind is not bool and not self.low <= value <= self.high:
            raise ValueError(f"{type(agent).__name__}.{self.name}={value!r} is outside [{self.low:g}, {self.high:g}]")
        values = getattr(agent.model.state, self.field).copy()
        values[agent.index] = value
        setattr(agent.model.state, self.field, values)
        if self.field in MEMBER_FIELDS:
            refresh_coalition(agent.model.state)


def _param(key: str, doc: str, kind: type = float) -> property:
    """Read-only attribute: this scenario's value of parameter ``key``."""
    return property(lambda agent: kind(agent.model.params[key][0]), doc=doc)


class ScenarioAgent(mesa.Agent):
    """An actor of the scenario; acts in the engine phases listed in ``PHASES``."""

    PHASES: tuple = ()
    index = (0,)  # its entry in (1,) State fields

    def act(self, phase, today: Today) -> None:
        """Run one of this agent's engine phases on the model's one-scenario state."""
        phase(self.model.state, self.model.params, self.model.streams, today)


def _belief(field: str, doc: str) -> property:
    """Posterior mean of a grid belief over resolve; setting it replaces the posterior by a prior with that mean and
    Russia's prior strength (``russia.prior_concentration``)."""

    def get(agent):
        return float(R.grid_mean(getattr(agent.model.state, field))[0])

    def set_(agent, value):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{type(agent).__name__} belief={value!r} is outside (0, 1)")
        m = agent.model
        setattr(m.state, field, R.grid_prior(np.full(1, float(value)), m.params.russia.prior_concentration))
        engine.refresh_beliefs(m.state)
        if field == "belief_co":  # Russia's assessment of the coalition follows its belief
            m.state.believed_co_response = engine.assess_coalition(m.state, m.params, np.arange(1))

    return property(get, set_, doc=doc)


class RussiaAgent(ScenarioAgent):
    """Russia: chooses hold, incidents, probe or offensive (phase 1) and learns from responses (phase 6)."""

    PHASES = (engine.phase_russia, engine.phase_learning)

    strength_k = StateField("ru_strength_k", low=0, doc="troops in theatre, thousand")
    sanctions = StateField("sanctions", low=0, high=1, doc="sanctions pressure index in [0, 1]")
    belief_us = _belief("belief_us", "belief in US resolve (posterior mean over the resolve grid)")
    belief_coalition = _belief("belief_co", "belief in coalition resolve (posterior mean over the resolve grid)")
    shock = StateField("ru_shock", doc="persistent shock to its value of war, utility")
    gains = StateField("ru_gains", low=0, doc="its value of achieving its war aims (its type), utility")
    status_quo = StateField("ru_status_quo", doc="value it gives up if the ceasefire ends (its type), utility")
    war_cost = StateField("ru_war_cost", low=0, doc="cost of a protracted war (its type), utility")
    value_of_gains = _param("russia.value_of_gains", "median value of achieving its war aims over types, utility")
    rationality = _param("russia.rationality", "precision of its strategic choices, 1/utility")

    @property
    def believed_us_response(self) -> float:
        """Expected chance that the US acts if triggered tomorrow (belief, attention, pledge, review)."""
        m = self.model
        return float(engine.believed_us(m.state, m.params, m.day + 1)[0])

    @property
    def believed_coalition_response(self) -> float:
        """Assessed chance that the coalition answers a probe (belief, binding, rule, members, support)."""
        return float(self.model.state.believed_co_response[0])

    @property
    def offensive_gap(self) -> float:
        """The offensive's utility less the value of waiting (> 0: worth attacking), as Russia would weigh them at
        a strategic review tomorrow, utility."""
        m = self.model
        view = engine.review_offensive(m.state, m.params, np.arange(1), m.day + 1)
        return float(view.utility[0] - view.waiting[0])

    @property
    def action(self) -> str | None:
        """Today's action (``rules.ACTIONS``); None before the first day."""
        today = self.model.today
        return None if today is None else Action(int(today.action[0])).label

    @property
    def action_probabilities(self) -> dict[str, float] | None:
        """Today's choice probabilities by action (the offensive's is the strategic review's; the daily choice
        shares the rest); None before the first day."""
        today = self.model.today
        if today is None:
            return None
        attack = float(today.p_offensive[0])
        daily = [(1.0 - attack) * v for v in today.probs[0].tolist()]
        return dict(zip(Action.names(), [*daily, attack], strict=True))


class UkraineAgent(ScenarioAgent):
    """Ukraine: retaliates or holds back (phase 3); its strength regenerates with aid and investment."""

    PHASES = (engine.phase_ukraine,)

    strength_k = StateField("ua_strength_k", low=0, doc="troops holding the line, thousand")
    capacity_k = StateField("ua_capacity_k", low=0, doc="strength it regenerates towards, thousand troops")
    territory_km2 = StateField("territory_km2", doc="ground held relative to the ceasefire line, km2 (< 0: lost)")
    investment_total_bn = StateField("investment_total_bn", low=0, doc="cumulative reconstruction investment, $bn")
    retaliations = StateField("retaliations", int, writable=False, doc="retaliations so far")
    retaliation = _param("ukraine.retaliation", "probability of returning fire after incidents or a probe")


class USAgent(ScenarioAgent):
    """The US: its pledge, attention and true resolve. Its backstop decision is drawn in the guarantors' phase
    (run by the coalition agent, one engine function for both guarantors); its attention drifts in phase 7.
    """

    attention = StateField("us_attention", low=0, high=1, doc="political attention in [0, 1]")
    committed = StateField("us_committed", bool, doc="backstop pledge in force (may lapse at the review)")
    probe_answers = StateField("us_probe_answers", int, writable=False, doc="probes the backstop answered")
    fought_war = StateField("us_fought_war", bool, writable=False, doc="fought alongside the defenders in a war")
    nonresponses = StateField("us_nonresponses", int, writable=False, doc="attributed attacks left unanswered")
    resolve = _param("us.resolve", "true probability of acting on the backstop when triggered")
    credibility = _param("us.credibility", "declared credibility: Russia's prior belief in US resolve")
    capability = _param("us.capability", "multiplier of the defenders' effectiveness when the US engages")
    review_day = _param("us.review_day", "day of the known review of the pledge (0: none)", int)

    @property
    def act_probability(self) -> float:
        """True probability of acting if triggered today (resolve, binding, attention, pledge)."""
        return float(engine.us_true_act_probability(self.model.state, self.model.params, np.zeros(1, dtype=bool))[0])


class CoalitionAgent(ScenarioAgent):
    """The coalition as a whole: its decision rule and pending decision; runs the guarantors' phase (4).

    Phase 4 is one engine function for both guarantors (the US backstop draw, then tripwire fire and the
    coalition's member-by-member decision), so its random draws are exactly the batch's.
    """

    PHASES = (engine.phase_guarantors,)

    deployed_share = StateField("deployed_share", low=0, high=1, doc="share of the force in the country (deployment)")
    pending_decision_day = StateField("co_decision_day", int, writable=False,
                                      doc="day the pending decision falls due, -1 if none")
    responses = StateField("co_responses", int, writable=False, doc="decisions to respond so far")
    nonresponses = StateField("co_nonresponses", int, writable=False, doc="decisions not to respond so far")
    resolve = _param("coalition.resolve", "members' mean true resolve")
    credibility = _param("coalition.credibility", "Russia's prior belief in coalition resolve")

    @property
    def decision_rule(self) -> str:
        """``lead_nation``, ``majority`` or ``unanimity``."""
        return DecisionRule(int(self.model.params.coalition.decision_rule[0])).label

    @property
    def total_troops_k(self) -> float:
        """Troops still deployed by all members, thousand."""
        return float(engine.coalition_troops(self.model.state)[0])

    @property
    def active_members(self) -> int:
        """Members still deployed."""
        return int(self.model.state.coalition_members[0])

    @property
    def cohesion(self) -> float:
        """Share of the initial members still deployed, in [0, 1]."""
        return float(engine.cohesion(self.model.state)[0])


class CoalitionMemberAgent(ScenarioAgent):
    """One member state of the coalition (member slot ``slot``; slot 0 is the lead nation, the largest force).

    Members decide inside the coalition's phase and update their support in phase 7, on the member arrays of
    the state; withdrawing by hand (``withdraw()``) between steps is what a teacher demonstrates.
    """

    troops_k = StateField("member_troops_k", low=0, doc="troops deployed, thousand (0 once withdrawn)")
    support = StateField("member_support", low=0, high=1, doc="domestic support in [0, 1]")
    active = StateField("member_active", bool, doc="still deployed")
    resolve = StateField("member_resolve", low=0, high=1, doc="true resolve in [0, 1]")
    baseline_support = StateField("member_baseline", writable=False, doc="support level support reverts to")
    cost_per_day = StateField("member_cost", writable=False, doc="support lost per day of deployment")

    def __init__(self, model: mesa.Model, slot: int):
        super().__init__(model)
        self.slot = slot
        self.index = (0, slot)

    @property
    def name(self) -> str:
        return f"member {self.slot + 1}"

    def withdraw(self) -> None:
        """Leave the coalition now: troops home, no longer deployed."""
        self.troops_k = 0.0
        self.active = False
