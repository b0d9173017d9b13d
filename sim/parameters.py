"""The model's parameters, declared once: name, default, allowed range, unit, meaning and source.

Everything else is generated from this table: the Hydra schema (``sim.compose``), validation (``sim.config``),
per-scenario sampling (``sim.design``) and the parameter table of ``docs/ODD.md``; the typed fields of ``Params``
(``sim.state``) are checked against it by a test. Defaults are overridden by the scenario presets in
``configs/scenario/``. Sources marked "assumption" are modelling choices, kept as parameters so that they can be
swept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.codes import DecisionRule, MonitoringRegime

INF = math.inf

# Choice names in code order, from the enums (a config names a choice; the arrays hold its code).
MONITORING_REGIMES = MonitoringRegime.names()
DECISION_RULES = DecisionRule.names()


@dataclass(frozen=True)
class ParamSpec:
    """One model parameter: ``group.name`` with default, bounds [low, high], unit, meaning and source."""

    group: str
    name: str
    default: float | int | str
    low: float = -INF
    high: float = INF
    unit: str = ""
    doc: str = ""
    source: str = "assumption"
    kind: str = "float"  # "float", "int" (rounded after sampling) or "choice" (one of `choices`)
    choices: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.group}.{self.name}"


def _p(group, name, default, low=-INF, high=INF, unit="", doc="", source="assumption", kind="float", choices=()):
    return ParamSpec(group, name, default, low, high, unit, doc, source, kind, choices)


PARAMS: tuple[ParamSpec, ...] = (
    # ---------------------------------------------------------------- Russia
    _p("russia", "strength_k", 600.0, 0, 5000, "thousand troops",
       "Russian ground forces in and near Ukraine at the ceasefire",
       "public estimates of about 600,000-700,000 troops in Ukraine in 2025 (Ukrainian command, ISW); rounded"),
    _p("russia", "capacity_k", 650.0, 0, 5000, "thousand troops",
       "strength Russian forces regenerate towards", "assumption (within the same estimates)"),
    _p("russia", "regen_per_day", 0.003, 0, 1, "1/day", "rate at which strength closes the gap to capacity"),
    _p("russia", "value_of_gains", 10.0, 0, 100, "utility",
       "value Russia puts on achieving its war aims (revisionism); status quo is 0", "assumption (scale)"),
    _p("russia", "status_quo_value", 1.5, -50, 50, "utility",
       "value Russia loses if the ceasefire ends (sanctions relief, reconstitution, trade)",
       "assumption; mechanism from Zagare and Kilgour (2000)"),
    _p("russia", "rationality", 4.0, 0, 100, "1/utility",
       "precision of Russia's strategic choices (a renewed offensive at a review, escalating a clash): logit "
       "(quantal response) around the deliberate rule, a tremble; 0 is a coin toss, large is best response",
       "McKelvey and Palfrey (1995); value an assumption"),
    _p("russia", "tactical_precision", 1.0, 0, 100, "1/utility",
       "logit precision of the daily choice among hold, incidents and a probe (local, tactical decisions)",
       "McKelvey and Palfrey (1995); value an assumption"),
    _p("russia", "incident_value", 0.0, -50, 50, "utility",
       "daily value of low-level harassment (pressure, attrition) before costs"),
    _p("russia", "probe_value", -3.8, -50, 50, "utility",
       "value of a limited ground attack (ground taken, pressure) before costs and information value"),
    _p("russia", "info_weight", 2.0, 0, 50, "1",
       "weight of the information a probe yields, per unit of belief standard deviation, times value_of_gains/10",
       "assumption; private information motive after Fearon (1995)"),
    _p("russia", "long_war_share", 0.3, 0, 1, "1",
       "share of value_of_gains obtained if the offensive does not win quickly"),
    _p("russia", "long_war_cost", 8.0, 0, 100, "utility",
       "cost of a protracted war, incurred when the offensive does not win quickly",
       "assumption; denial logic from Huth (1988) and Reiter and Poast (2021)"),
    _p("russia", "quick_win_ratio", 1.5, 0.01, 100, "1",
       "local force ratio at which a quick victory is a 50:50 chance", "assumption (local concentration)"),
    _p("russia", "quick_win_steepness", 3.0, 0, 50, "1",
       "steepness of the quick-victory probability in the log force ratio"),
    _p("russia", "offensive_share", 0.6, 0, 1, "1", "share of Russian strength committed to an offensive"),
    _p("russia", "probe_share", 0.03, 0, 1, "1", "share of Russian strength committed to a probe"),
    _p("russia", "type_spread", 0.35, 0, 3, "log units",
       "spread of Russia's type across scenarios: value_of_gains, status_quo_value and long_war_cost are each "
       "drawn per scenario as the set value times a lognormal factor with this log standard deviation (median 1)",
       "assumption; a preset is a distribution of Russias (Fearon 1995: private information about resolve)"),
    _p("russia", "probe_spread", 1.0, 0, 20, "utility",
       "shift of the daily value of incidents and probes per standard deviation of Russia's revisionism "
       "(the log factor of value_of_gains): revisionist types harass and probe more",
       "assumption"),
    _p("russia", "shock_sd", 2.0, 0, 50, "utility",
       "standard deviation of the persistent shock to the value of war (domestic politics, economy, Western "
       "distraction): a mean-reverting process",
       "assumption; windows of opportunity (Van Evera 1999; Lebow 1981)"),
    _p("russia", "shock_halflife_days", 180.0, 1, 3650, "days", "half-life of the valuation shock",
       "assumption (months: a budget, an election cycle)"),
    _p("russia", "review_interval_days", 30, 1, 365, "days",
       "strategic cadence: Russia weighs a renewed offensive once per this many days (incidents and probes stay "
       "daily); each scenario's review days are offset by a draw", "assumption (a monthly review)", kind="int"),
    _p("russia", "discount_per_year", 0.1, 0, 5, "1/year",
       "discount rate of the value of waiting to the next review", "assumption"),
    _p("russia", "backdown_cost", 4.0, 0, 100, "utility",
       "cost to Russia of backing down from a contained clash (reputation, audience costs)",
       "assumption; audience costs after Fearon (1994)"),
    _p("russia", "tripwire_belief", 1.0, 0, 1, "1",
       "how far Russia believes that attacked forward troops make a response automatic: 1 as Schelling (1966) "
       "argues, 0 as Reiter and Poast (2021) doubt",
       "Schelling (1966, ch. 3); Reiter and Poast (2021)"),
    _p("russia", "prior_concentration", 5.0, 0.01, 1e6, "pseudo-observations",
       "strength of Russia's prior beliefs about guarantor resolve (alpha + beta of each Beta prior)",
       "assumption; the prior is the Beta mass in each bin of the resolve grid"),
    _p("russia", "sanctions_initial", 0.6, 0, 1, "index", "sanctions pressure at the ceasefire"),
    _p("russia", "sanctions_decay_per_day", 0.001, 0, 1, "1/day",
       "rate at which sanctions erode while the ceasefire holds"),
    _p("russia", "sanctions_snapback", 0.2, 0, 1, "index", "sanctions pressure added per attributed probe"),
    _p("russia", "sanctions_weight", 2.5, 0, 100, "utility/index",
       "cost to Russia of the full sanctions regime an offensive brings back (snapback to full pressure, no "
       "relief); an attributed probe costs this times sanctions_snapback"),
    _p("russia", "sanctions_drag", 0.5, 0, 1, "1", "share of regeneration lost at full sanctions pressure"),
    _p("russia", "tension_weight", 0.6, 0, 50, "utility/tension",
       "how much recent exchanges of fire push Russia towards further violations (spiral)"),
    _p("russia", "retaliation_cost", 1.0, 0, 50, "utility",
       "cost to Russia of a Ukrainian retaliation, weighted by Ukraine's retaliation posture"),
    _p("russia", "response_cost_coalition", 4.0, 0, 100, "utility per 25k troops",
       "cost to Russia of a coalition military response, per 25,000 coalition troops able to respond"),
    _p("russia", "response_cost_us", 1.5, 0, 100, "utility",
       "cost to Russia of a US response before the capability multiplier"),
    _p("russia", "clash_cost", 20.0, 0, 100, "utility",
       "cost Russia weighs, per probe, of a clash with coalition troops (their fire and its risk of escalation)"),
    _p("russia", "incident_cost", 3.0, 0, 100, "utility",
       "diplomatic and sanctions cost to Russia of an incident attributed to it by monitors"),
    _p("russia", "probe_response_share", 0.25, 0, 1, "1",
       "share of a full guarantor response (cost to Russia) that answers a probe"),
    _p("russia", "avoidance", 0.5, 0, 1, "1", "share of probes Russia steers away from coalition positions"),
    _p("russia", "tension_persistence", 0.8, 0, 1, "1/day", "share of escalation tension left after a day"),
    _p("russia", "attrition_rate", 0.02, 0, 10, "1/day",
       "Lanchester square-law kill rate of Russian forces (defenders lost per attacker per day)",
       "assumption; Lanchester (1916)"),
    _p("russia", "probe_frontage_km", 5.0, 0, 1000, "km", "front of a probe"),
    _p("russia", "probe_advance_km", 3.0, 0, 100, "km", "depth a probe takes with overwhelming superiority"),
    _p("russia", "offensive_frontage_km", 150.0, 0, 2000, "km", "front of an offensive's first day"),
    _p("russia", "offensive_advance_km", 3.0, 0, 100, "km",
       "depth an offensive takes on its first day with overwhelming superiority"),
    # ---------------------------------------------------------------- Ukraine
    _p("ukraine", "strength_k", 400.0, 0, 5000, "thousand troops",
       "Ukrainian forces available to hold the line",
       "assumption: roughly half of the armed forces' reported strength of about 800,000-900,000"),
    _p("ukraine", "capacity_k", 450.0, 0, 5000, "thousand troops", "strength Ukraine regenerates towards"),
    _p("ukraine", "regen_per_day", 0.003, 0, 1, "1/day", "rate at which strength closes the gap to capacity"),
    _p("ukraine", "aid_k_per_day", 0.05, 0, 100, "thousand troops/day",
       "capacity added per day by arms and money from partners"),
    _p("ukraine", "investment_to_capacity", 0.5, 0, 100, "thousand troops per $bn",
       "capacity added per $1bn of reconstruction investment (economy and defence industry)"),
    _p("ukraine", "front_share", 0.6, 0, 1, "1", "share of Ukrainian strength that meets an offensive"),
    _p("ukraine", "local_share", 0.02, 0, 1, "1", "share of Ukrainian strength that meets a probe"),
    _p("ukraine", "retaliation", 0.5, 0, 1, "probability",
       "retaliation posture: probability of returning fire after a violation (0 restraint, 1 tit-for-tat)"),
    _p("ukraine", "retaliation_tension", 0.5, 0, 10, "tension", "tension added by a Ukrainian retaliation"),
    _p("ukraine", "attrition_rate", 0.03, 0, 10, "1/day",
       "Lanchester square-law kill rate of defending forces (attackers lost per defender per day)",
       "assumption; Lanchester (1916); defender advantage"),
    # ---------------------------------------------------------------- Coalition
    _p("coalition", "members", 30, 0, 60, "states",
       "member states of the coalition of the willing", "seed article: about thirty leaders met in Paris",
       kind="int"),
    _p("coalition", "troops_k", 25.0, 0, 500, "thousand troops",
       "multinational force deployed in Ukraine",
       "assumption within UK press reports (Feb-Mar 2025) of a UK-French plan for 'fewer than' / 'up to' 30,000; "
       "later reports suggest smaller"),
    _p("coalition", "credibility", 0.6, 0, 1, "probability",
       "declared / perceived credibility: mean of Russia's prior on the coalition responding"),
    _p("coalition", "resolve", 0.6, 0, 1, "probability",
       "true resolve: mean probability that a member is willing to respond when triggered"),
    _p("coalition", "resolve_spread", 0.2, 0, 1, "probability",
       "spread of members' resolve around the mean (uniform half-width)"),
    _p("coalition", "binding", 0.3, 0, 1, "1",
       "legal strength of the guarantee: share of remaining reluctance removed by the obligation",
       "assumption; seed article point 5"),
    _p("coalition", "decision_rule", "lead_nation", unit="", kind="choice", choices=DECISION_RULES,
       doc="how members decide on a response (lead nation, majority, unanimity)", source="seed article point 12"),
    _p("coalition", "lead_delay_days", 1, 0, 365, "days", "decision delay under the lead-nation rule", kind="int"),
    _p("coalition", "majority_delay_days", 3, 0, 365, "days", "decision delay under the majority rule", kind="int"),
    _p("coalition", "unanimity_delay_days", 7, 0, 365, "days",
       "decision delay under unanimity", kind="int"),
    _p("coalition", "consolidation_days", 7.0, 0.01, 3650, "days",
       "how fast a probe's gains consolidate: a response after d days retakes exp(-d / this) of the ground",
       "assumption (fait accompli: Altman 2017)"),
    _p("coalition", "deploy_days", 90, 0, 730, "days",
       "days until the whole force is deployed (a linear ramp from initial_share)",
       "assumption; the force deploys after the ceasefire takes effect (background point 6)", kind="int"),
    _p("coalition", "initial_share", 0.25, 0, 1, "1", "share of the force in place on the day of the ceasefire",
       "assumption"),
    _p("coalition", "reneging_cost", 0.05, 0, 1, "support",
       "support each member loses, times coalition.binding, when the coalition declines to respond (the public "
       "sees a broken binding promise)", "assumption; audience costs of reneging"),
    _p("coalition", "correlation", 0.6, 0, 1, "1",
       "share of members whose willingness follows the common shock (threat perception)"),
    _p("coalition", "veto_propensity", 0.2, 0, 1, "probability",
       "probability that an unwilling member blocks a response under unanimity (others abstain)"),
    _p("coalition", "forward_share", 0.1, 0, 1, "1",
       "share of the force positioned where a Russian attack would meet it"),
    _p("coalition", "line_cover_k", 40.0, 0.001, 1000, "thousand troops",
       "forward troops needed to cover the whole line of contact"),
    _p("coalition", "tripwire_automaticity", 0.5, 0, 1, "probability",
       "probability that troops attacked fire back regardless of the political decision",
       "assumption; trip-wires in Schelling (1966, ch. 3); Reiter and Poast (2021) doubt automaticity"),
    _p("coalition", "quality", 1.0, 0, 10, "1", "combat effectiveness of a coalition soldier relative to Russian"),
    _p("coalition", "support", 0.7, 0, 1, "share", "mean initial domestic support for deployment"),
    _p("coalition", "support_spread", 0.15, 0, 1, "share", "spread of initial support (uniform half-width)"),
    _p("coalition", "support_recovery_per_day", 0.01, 0, 1, "1/day",
       "rate at which support returns to its baseline"),
    _p("coalition", "cost_sensitivity", 0.001, 0, 1, "support/day",
       "mean daily support lost to the costs of deployment (heterogeneous, up to twice this)"),
    _p("coalition", "violence_sensitivity", 0.004, 0, 1, "support/day per level",
       "daily support lost per unit of recent violence (casualty aversion)"),
    _p("coalition", "us_shock", 0.05, 0, 1, "support",
       "support lost when the US fails to act on a detected attack"),
    _p("coalition", "strain_shock", 0.05, 0, 1, "support",
       "support lost by a member outvoted or left out of a response"),
    _p("coalition", "exit_threshold", 0.3, 0, 1, "share", "support below which a member withdraws its troops"),
    # ---------------------------------------------------------------- United States
    _p("us", "credibility", 0.7, 0, 1, "probability",
       "declared / perceived credibility of the US backstop: mean of Russia's prior"),
    _p("us", "resolve", 0.7, 0, 1, "probability",
       "true resolve: probability the US acts on the backstop when triggered, at full attention"),
    _p("us", "binding", 0.2, 0, 1, "1", "legal strength of the US pledge (as coalition.binding)"),
    _p("us", "capability", 3.0, 0, 50, "1",
       "multiplier of a US response's cost to Russia (air power, intelligence, logistics)",
       "assumption; seed article point 14"),
    _p("us", "coordination", 0.5, 0, 1, "1",
       "coordination with the coalition: removes this share of the US's reluctance when coalition troops were "
       "attacked, and of a member's reluctance when the US acted on the same attack",
       "background point 7 (close coordination); assumption"),
    _p("us", "attention", 0.8, 0, 1, "share", "initial political attention"),
    _p("us", "attention_mean", 0.7, 0, 1, "share", "level US attention drifts back to"),
    _p("us", "attention_reversion_per_day", 0.01, 0, 1, "1/day", "mean reversion rate of attention"),
    _p("us", "attention_volatility", 0.02, 0, 1, "share/day", "daily volatility of attention"),
    _p("us", "review_day", 0, 0, 36500, "day",
       "known date on which the US reviews its commitment (0: none)",
       "assumption; end-game logic after Kreps and Wilson (1982)", kind="int"),
    _p("us", "review_lapse", 0.5, 0, 1, "probability", "probability the commitment lapses at the review"),
    _p("us", "review_window_days", 180.0, 1, 3650, "days",
       "how far ahead Russia looks when weighing a lapse of the commitment"),
    # ---------------------------------------------------------------- Ceasefire (the ladder)
    _p("ceasefire", "clash_escalation", 0.03, 0, 1, "probability",
       "probability that a contained clash escalates into war whatever Russia intends (inadvertent escalation)",
       "assumption; Schelling's threat that leaves something to chance; Posen (1991)"),
    _p("ceasefire", "spiral_halflife_days", 10.0, 0.5, 365, "days",
       "half-life of the memory of fighting days (probe level or above) that defines a spiral"),
    _p("ceasefire", "spiral_share", 0.35, 0, 1, "share",
       "the ceasefire has collapsed into a spiral when the recent share of fighting days reaches this",
       "assumption (sustained fighting: about one day in three over a few weeks)"),
    # ---------------------------------------------------------------- Monitoring
    _p("monitoring", "regime", "us_led", kind="choice", choices=MONITORING_REGIMES,
       doc="none; unarmed observers with limited access (Minsk-like); US-led with ISR",
       source="seed article point 8; OSCE SMM reports for the observer regime"),
    _p("monitoring", "access", 1.0, 0, 1, "share",
       "share of the line monitors can reach (scales detection)",
       "assumption; OSCE SMM reported frequent access restrictions"),
    # ---------------------------------------------------------------- Reconstruction
    _p("reconstruction", "max_bn_per_day", 0.15, 0, 100, "$bn/day",
       "investment flow under full security",
       "assumption: under full security investment meets the needs of World Bank et al. RDNA4 (2025), "
       "about $524bn over ten years, i.e. $0.14bn/day (rounded up)"),
    _p("reconstruction", "elasticity", 2.0, 0, 20, "1", "investment flow = max * security ** elasticity"),
    _p("reconstruction", "violence_halflife_days", 30.0, 0.5, 3650, "days",
       "half-life of recent violence in investors' (and publics') memory"),
    _p("reconstruction", "violence_scale", 0.3, 0.001, 10, "level",
       "recent violence at which the calm factor of the security index falls to 1/e"),
)

PARAM_BY_KEY: dict[str, ParamSpec] = {p.key: p for p in PARAMS}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(p.group for p in PARAMS))
