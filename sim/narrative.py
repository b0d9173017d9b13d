"""The story of one scenario: structured events read from each day's results, and sentences told from them.

``day_events`` turns a day of a one-scenario run (the state after the step and its ``Today``) into ``Event``
records (day, actor, action, detail), in phase order; ``narrate`` tells a list of events as sentences. All text
is in ``PHRASES``, one dict per language, keyed by event action: a translation adds a language there (its
templates, terms, units and plural rule) and changes nothing else. A template may have variants for cases its words
do not fit, keyed ``action.variant``: ``.none`` under no monitoring regime (nobody detects anything), ``.no_troops``
for a force of no troops. Days with nothing but incidents (and their
detection and Ukrainian retaliation) are told together, a stretch of up to ``STRETCH_DAYS`` days at a time.
"""

from __future__ import annotations

import string
from itertools import groupby
from typing import NamedTuple

import numpy as np

from sim import rules as R
from sim.codes import Action, DecisionRule, FailureMode, MonitoringRegime
from sim.state import Params, State, Today

STRETCH_DAYS = 30  # longest run of incident-only days told in one sentence


class Event(NamedTuple):
    """Something that happened on ``day``: ``actor`` did ``action`` (a key of the templates), with ``detail``."""

    day: int
    actor: str  # russia, monitors, ukraine, us, coalition, member, front, ceasefire
    action: str
    detail: dict


# Actions that alone make an incident-only day (told in stretches).
_INCIDENT_DAY = frozenset({"incidents", "detects_attributes", "detects", "misses", "retaliates"})


def _arabic_plural(n: int) -> str:
    """CLDR plural category of a whole number in Arabic: zero, one, two, few (3-10), many (11-99), other."""
    n = abs(int(n))
    if n <= 2:
        return ("zero", "one", "two")[n]
    return "few" if 3 <= n % 100 <= 10 else "many" if 11 <= n % 100 <= 99 else "other"


PHRASES: dict[str, dict] = {
    "en": {
        "day": "Day {day}: {clauses}.",
        "stretch": "Days {first}-{last}: {clauses}.",
        "join": "; ",
        "templates": {
            "ceasefire_begins": "the ceasefire begins, watched by {regime!t}; Russia puts the chance that the US "
                                "would act at {belief_us:.2f} and that the coalition would at {belief_coalition:.2f}",
            "force_deploys": "the coalition deploys {troops_k:troops} from {members:member} and decides under the "
                             "{rule!t}",
            "force_deploys.no_troops": "the coalition has {members:member} but deploys no troops; it decides under "
                                       "the {rule!t}",
            "no_force": "no coalition force deploys",
            "incidents": "Russian forces commit incidents (shelling, drones, raids)",
            "probe": "Russia probes the line with a limited ground attack",
            "offensive": "Russia launches a renewed offensive",
            "offensive_decided": "at its strategic review Russia decides on a renewed offensive (attacking now "
                                 "against waiting: {gap:+.2f}); since its review of day {since_day}, {first!t} "
                                 "went from {first_before:.1f} to {first_after:.1f} and {second!t} from "
                                 "{second_before:.1f} to {second_after:.1f}",
            "offensive_decided_first": "at its first strategic review Russia decides on a renewed offensive "
                                       "(attacking now against waiting: {gap:+.2f}): the war is worth {war:.1f} to it "
                                       "and it expects the guarantors' responses to cost {response:.1f}",
            "detects_attributes": "{regime!t} detects the violation and attributes it to Russia",
            "detects_attributes.none": "no monitors watch the line, yet the violation is plain to see and blamed "
                                       "on Russia",
            "detects": "{regime!t} detects the violation but cannot attribute it",
            "detects.none": "no monitors watch the line, yet the violation is seen, though not attributed",
            "misses": "the violation goes undetected",
            "misses.none": "no monitors watch the line: the violation goes unrecorded",
            "retaliates": "Ukraine returns fire",
            "us_backstop_acts": "the US backstop acts against the {trigger!t}",
            "us_backstop_fails": "the US backstop does not act on the {trigger!t}",
            "tripwire_hit": "the attack meets coalition troops",
            "tripwire_fires": "the coalition troops fire back",
            "coalition_decision_opens": "the coalition opens a decision under the {rule!t}, due on day {due_day}",
            "coalition_responds": "the coalition, under the {rule!t}, decides to respond {delay_days:after_days}, "
                                  "{participants} of {active:member} taking part",
            "coalition_declines": "the coalition, under the {rule!t}, decides not to respond "
                                  "{delay_days:after_days}",
            "ground_taken": "Russia takes {ground_km2:area} km² (losses: Russia {ru_losses_k:troops}, Ukraine "
                            "{ua_losses_k:troops})",
            "ground_retaken": "the response retakes {retaken_km2:area} km²",
            "attack_held": "the defenders hold the line (losses: Russia {ru_losses_k:troops}, Ukraine "
                           "{ua_losses_k:troops})",
            "belief_us": "Russia's belief in US resolve {direction!t} from {before:.2f} to {after:.2f}",
            "belief_coalition": "Russia's belief in coalition resolve {direction!t} from {before:.2f} to {after:.2f}",
            "member_withdraws": "member {member} withdraws its {troops_k:troops} (domestic support {support:.2f})",
            "member_withdraws.no_troops": "member {member} leaves the coalition (domestic support {support:.2f})",
            "us_pledge_lapses": "the US lets its pledge lapse at its review",
            "us_pledge_renewed": "the US keeps its pledge at its review",
            "clash": "Russian forces exchange fire with {opponent!t} forces",
            "clash_contained": "the clash stays contained: Russia backs down",
            "clash_escalates": "the clash escalates into war",
            "collapse": "the ceasefire collapses ({failure_mode!t})",
            "holds": "the ceasefire holds to the horizon",
            "stretch_incidents": "Russian forces commit incidents on {days:day}",
            "stretch_monitoring": "{regime!t} detects {detected} and attributes {attributed} to Russia",
            "stretch_monitoring.none": "with no monitors, {detected} are still seen and {attributed} blamed on "
                                       "Russia",
            "stretch_undetected": "none is detected",
            "stretch_undetected.none": "no monitors record any of them",
            "stretch_retaliation": "Ukraine returns fire {times:time}",
        },
        "terms": {
            "none": "no monitors", "observers": "the observer mission", "us_led": "US-led monitoring",
            "lead_nation": "lead-nation rule", "majority": "majority rule", "unanimity": "unanimity rule",
            "incidents": "incidents", "probe": "probe", "offensive": "offensive",
            "rises": "rises", "falls": "falls",
            "coalition": "coalition", "us": "US", "coalition_and_us": "coalition and US",
            "failure_offensive": "a renewed offensive", "failure_clash": "a clash with guarantor forces that escalated",
            "failure_spiral": "a spiral of sustained fighting",
            "driver_war": "the value of the war to it", "driver_response": "the cost it expects from the guarantors",
            "driver_waiting": "the value of waiting", "driver_shock": "pressure at home (the valuation shock)",
        },
        "units": {
            "day": {"one": "{n} day", "other": "{n} days"},
            "after_days": {"0": "the same day", "one": "after {n} day", "other": "after {n} days"},
            "troops": {"0": "none", "one": "1 soldier", "other": "{n} troops", "thousands": "{k:.1f} thousand troops"},
            "time": {"one": "once", "other": "{n} times"},
            "member": {"one": "{n} member", "other": "{n} members"},
        },
        "plural": lambda n: "one" if n == 1 else "other",
    },
    # Modern Standard Arabic. Counted nouns follow the six CLDR plural categories (see ``_arabic_plural``); every
    # counted noun stands after a preposition, so the dual is in its genitive form (يومين, عضوين); troops are
    # counted as an object (see "troops").
    "ar": {
        "day": "اليوم {day}: {clauses}.",
        "stretch": "من اليوم {first} إلى اليوم {last}: {clauses}.",
        "join": "؛ ",
        "templates": {
            "ceasefire_begins": "يبدأ وقف إطلاق النار في ظل {regime!t}، وتقدّر روسيا احتمال أن تتحرك الولايات "
                                "المتحدة بـ{belief_us:.2f} واحتمال أن يتحرك التحالف بـ{belief_coalition:.2f}",
            "force_deploys": "ينشر التحالف {troops_k:troops} من {members:member}، ويتخذ قراراته وفق {rule!t}",
            "force_deploys.no_troops": "لا ينشر التحالف أي جندي رغم انضمام {members:member} إليه، ويتخذ قراراته "
                                       "وفق {rule!t}",
            "no_force": "لا تنتشر أي قوة للتحالف",
            "incidents": "ترتكب القوات الروسية حوادث (قصف ومسيّرات وغارات)",
            "probe": "تختبر روسيا خط التماس بهجوم بري محدود",
            "offensive": "تشنّ روسيا هجومًا واسعًا جديدًا",
            "offensive_decided": "في مراجعتها الاستراتيجية تقرّر روسيا شنّ هجوم واسع جديد (الهجوم الآن مقابل "
                                 "الانتظار: {gap:+.2f})؛ فمنذ مراجعتها في اليوم {since_day} تغيّرت {first!t} من "
                                 "{first_before:.1f} إلى {first_after:.1f} و{second!t} من {second_before:.1f} "
                                 "إلى {second_after:.1f}",
            "offensive_decided_first": "في أول مراجعة استراتيجية لها تقرّر روسيا شنّ هجوم واسع جديد (الهجوم الآن "
                                       "مقابل الانتظار: {gap:+.2f}): فقيمة الحرب لديها {war:.1f} وتتوقع أن تكلّفها "
                                       "ردود الضامنين {response:.1f}",
            "detects_attributes": "ترصد {regime!t} الخرق وتنسبه إلى روسيا",
            "detects_attributes.none": "لا مراقبين على الخط، لكن الخرق واضح للجميع ويُنسب إلى روسيا",
            "detects": "ترصد {regime!t} الخرق لكنها لا تستطيع نسبته إلى أحد",
            "detects.none": "لا مراقبين على الخط، لكن الخرق يُلاحَظ دون أن يُنسب إلى أحد",
            "misses": "يمرّ الخرق دون أن يُرصد",
            "misses.none": "لا مراقبين على الخط، فيمرّ الخرق دون أن يُسجَّل",
            "retaliates": "تردّ أوكرانيا بإطلاق النار",
            "us_backstop_acts": "تتحرك الضمانة الأمريكية ردًّا على {trigger!t}",
            "us_backstop_fails": "لا تتحرك الضمانة الأمريكية ردًّا على {trigger!t}",
            "tripwire_hit": "يصطدم الهجوم بقوات التحالف",
            "tripwire_fires": "تردّ قوات التحالف بإطلاق النار",
            "coalition_decision_opens": "يبدأ التحالف التداول في الرد وفق {rule!t}، ويُنتظر القرار في اليوم "
                                        "{due_day}",
            "coalition_responds": "يقرّر التحالف، وفق {rule!t}، الرد {delay_days:after_days}، بمشاركة "
                                  "{participants} من أصل {active:member}",
            "coalition_declines": "يقرّر التحالف، وفق {rule!t}، عدم الرد {delay_days:after_days}",
            "ground_taken": "تستولي روسيا على {ground_km2:area} كم² (بلغت خسائر روسيا {ru_losses_k:troops} وخسائر "
                            "أوكرانيا {ua_losses_k:troops})",
            "ground_retaken": "يستعيد الرد {retaken_km2:area} كم²",
            "attack_held": "يصمد المدافعون على الخط (بلغت خسائر روسيا {ru_losses_k:troops} وخسائر أوكرانيا "
                           "{ua_losses_k:troops})",
            "belief_us": "{direction!t} تقدير روسيا لعزم الولايات المتحدة من {before:.2f} إلى {after:.2f}",
            "belief_coalition": "{direction!t} تقدير روسيا لعزم التحالف من {before:.2f} إلى {after:.2f}",
            "member_withdraws": "يسحب العضو {member} قواته البالغة {troops_k:troops} (التأييد الداخلي "
                                "{support:.2f})",
            "member_withdraws.no_troops": "ينسحب العضو {member} من التحالف (التأييد الداخلي {support:.2f})",
            "us_pledge_lapses": "تتخلى الولايات المتحدة عن تعهّدها عند مراجعته",
            "us_pledge_renewed": "تُبقي الولايات المتحدة على تعهّدها عند مراجعته",
            "clash": "تتبادل القوات الروسية إطلاق النار مع قوات {opponent!t}",
            "clash_contained": "يبقى الاشتباك محدودًا: تتراجع روسيا",
            "clash_escalates": "يتصاعد الاشتباك إلى حرب",
            "collapse": "ينهار وقف إطلاق النار ({failure_mode!t})",
            "holds": "يصمد وقف إطلاق النار حتى نهاية المدة",
            "stretch_incidents": "ترتكب القوات الروسية حوادث في {days:day}",
            "stretch_monitoring": "ترصد {regime!t} {detected} منها وتنسب {attributed} إلى روسيا",
            "stretch_monitoring.none": "رغم غياب المراقبين، يُلاحَظ {detected} منها ويُنسب {attributed} إلى روسيا",
            "stretch_undetected": "لا يُرصد أيٌّ منها",
            "stretch_undetected.none": "لا مراقبين يسجّلون أيًّا منها",
            "stretch_retaliation": "تردّ أوكرانيا بإطلاق النار {times:time}",
        },
        "terms": {
            "none": "غياب أي رقابة", "observers": "بعثة المراقبين", "us_led": "الرقابة بقيادة أمريكية",
            "lead_nation": "قاعدة الدولة القائدة", "majority": "قاعدة الأغلبية", "unanimity": "قاعدة الإجماع",
            "incidents": "الحوادث", "probe": "الهجوم المحدود", "offensive": "الهجوم الواسع",
            "rises": "يرتفع", "falls": "ينخفض",
            "coalition": "التحالف", "us": "الولايات المتحدة", "coalition_and_us": "التحالف والولايات المتحدة",
            "failure_offensive": "هجوم واسع جديد", "failure_clash": "اشتباك مع قوات الضامنين تصاعد إلى حرب",
            "failure_spiral": "دوامة من القتال المتواصل",
            "driver_war": "قيمة الحرب لديها", "driver_response": "الكلفة التي تتوقعها من ردود الضامنين",
            "driver_waiting": "قيمة الانتظار", "driver_shock": "الضغط الداخلي (صدمة التقييم)",
        },
        "units": {
            "day": {"zero": "{n} يوم", "one": "يوم واحد", "two": "يومين", "few": "{n} أيام", "many": "{n} يومًا",
                    "other": "{n} يوم"},
            "after_days": {"0": "في اليوم نفسه", "zero": "بعد {n} يوم", "one": "بعد يوم واحد", "two": "بعد يومين",
                           "few": "بعد {n} أيام", "many": "بعد {n} يومًا", "other": "بعد {n} يوم"},
            # Troops stand as an object (accusative) wherever a template counts them: جنديين, جنديًا واحدًا.
            "troops": {"0": "صفرًا", "one": "جنديًا واحدًا", "two": "جنديين", "few": "{n} جنود",
                       "many": "{n} جنديًا", "other": "{n} جندي", "thousands": "{k:.1f} ألف جندي"},
            "time": {"zero": "{n} مرة", "one": "مرة واحدة", "two": "مرتين", "few": "{n} مرات", "many": "{n} مرة",
                     "other": "{n} مرة"},
            "member": {"zero": "{n} عضو", "one": "عضو واحد", "two": "عضوين", "few": "{n} أعضاء",
                       "many": "{n} عضوًا", "other": "{n} عضو"},
        },
        "plural": _arabic_plural,
    },
}


class _Phrasing(string.Formatter):
    """Formats a template in one language: ``{x!t}`` translates a term, ``{n:unit}`` counts with a plural form
    (a unit with ``thousands`` takes a value in thousands), ``{x:area}`` writes an area."""

    def __init__(self, words: dict):
        self.words = words

    def convert_field(self, value, conversion):
        if conversion == "t":
            return self.words["terms"][value]
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec):
        if format_spec == "area":  # ground taken: a decimal below 10 km², so that half a km² is not "0"
            return f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
        forms = self.words["units"].get(format_spec)
        if forms is None:
            return super().format_field(value, format_spec)
        if "thousands" in forms:  # a value in thousands: to one decimal from a thousand up, else counted one by one
            if round(value * 1000) >= 1000:
                return forms["thousands"].format(k=value)
            value = round(value * 1000)
        if value == 0 and "0" in forms:
            return forms["0"]
        return forms[self.words["plural"](value)].format(n=value)


# ------------------------------------------------------------------------------------------------ events
def _names(p: Params) -> tuple[str, str]:
    return (MonitoringRegime(int(p.monitoring.regime[0])).label, DecisionRule(int(p.coalition.decision_rule[0])).label)


def _belief_event(day: int, action: str, before: float, after: float) -> Event:
    return Event(day, "russia", action, {"before": before, "after": after,
                                         "direction": "rises" if after > before else "falls"})


def opening_events(s: State, p: Params) -> list[Event]:
    """Day 0: the arrangement at the ceasefire, of a one-scenario state."""
    regime, rule = _names(p)
    events = [Event(0, "ceasefire", "ceasefire_begins", {
        "regime": regime, "belief_us": float(R.grid_mean(s.belief_us)[0]),
        "belief_coalition": float(R.grid_mean(s.belief_co)[0])})]
    members = int(s.member_active[0].sum())
    if members:
        events.append(Event(0, "coalition", "force_deploys", {
            "members": members, "troops_k": float(s.initial_troops_k[0]), "rule": rule}))
    else:
        events.append(Event(0, "coalition", "no_force", {}))
    return events


# What moved Russia's weighing of an offensive between two reviews: driver -> (its sign in the offensive's
# advantage over waiting, the review term it reads).
DRIVERS = {"war": 1.0, "response": -1.0, "waiting": -1.0, "shock": 1.0}


def review_terms(before: State, t: Today) -> dict | None:
    """Russia's weighing at today's strategic review of a one-scenario run (None on other days): the day, the war's
    value, the believed cost of responses, the value of waiting and the valuation shock (utility)."""
    if not t.review[0]:
        return None
    return {"day": t.day, "war": float(t.war_value[0]), "response": float(t.response_cost[0]),
            "waiting": float(t.waiting_value[0]), "shock": float(before.ru_shock[0])}


def _offensive_event(before: State, t: Today, last_review: dict | None) -> Event:
    """Why Russia decided on the offensive today: the two drivers that moved its advantage most since its last
    review, or the weighing itself at a first review."""
    now, gap = review_terms(before, t), float(t.offensive_gap[0])
    if last_review is None:
        return Event(t.day, "russia", "offensive_decided_first",
                     {"gap": gap, "war": now["war"], "response": now["response"]})
    moved = sorted(DRIVERS, key=lambda d: -DRIVERS[d] * (now[d] - last_review[d]))[:2]
    detail = {"gap": gap, "since_day": last_review["day"]}
    for rank, driver in zip(("first", "second"), moved, strict=True):
        detail.update({rank: f"driver_{driver}", f"{rank}_before": last_review[driver], f"{rank}_after": now[driver]})
    return Event(t.day, "russia", "offensive_decided", detail)


def day_events(before: State, s: State, p: Params, t: Today, last_review: dict | None = None) -> list[Event]:
    """Events of day ``t.day`` of a one-scenario run, in phase order: ``before`` and ``s`` are the states
    before and after the day's step; ``last_review`` the terms of Russia's previous strategic review
    (``review_terms``), which an offensive's story compares with today's.
    """
    day, action = t.day, int(t.action[0])
    regime, rule = _names(p)
    violation = Action(action).label
    events: list[Event] = []
    if action == Action.OFFENSIVE:
        events.append(_offensive_event(before, t, last_review))
    if action >= Action.INCIDENTS:  # 1-2: Russia's violation and what monitors made of it
        events.append(Event(day, "russia", violation, {}))
        seen = "detects_attributes" if t.attributed[0] else "detects" if t.detected[0] else "misses"
        events.append(Event(day, "monitors", seen, {"regime": regime, "violation": violation}))
    if t.retaliated[0]:  # 3
        events.append(Event(day, "ukraine", "retaliates", {"violation": violation}))
    if t.us_acted[0]:  # 4: guarantors
        events.append(Event(day, "us", "us_backstop_acts", {"trigger": violation}))
    if t.us_failed[0]:
        events.append(Event(day, "us", "us_backstop_fails", {"trigger": violation}))
    if t.hit[0]:
        events.append(Event(day, "coalition", "tripwire_hit", {}))
    if t.fired_back[0]:
        events.append(Event(day, "coalition", "tripwire_fires", {}))
    delay = int(t.decision_delay_days[0])
    if t.co_started[0]:
        events.append(Event(day, "coalition", "coalition_decision_opens",
                            {"rule": rule, "due_day": day + delay, "delay_days": delay}))
    if t.co_decided[0]:
        if t.co_responded[0]:
            events.append(Event(day, "coalition", "coalition_responds", {
                "rule": rule, "delay_days": delay, "participants": int(t.co_participants[0]),
                "active": int(before.member_active[0].sum())}))
        else:
            events.append(Event(day, "coalition", "coalition_declines", {"rule": rule, "delay_days": delay}))
    if action in (Action.PROBE, Action.OFFENSIVE):  # 5: combat
        losses = {"ground_km2": float(t.ground_km2[0]), "ru_losses_k": float(t.ru_losses_k[0]),
                  "ua_losses_k": float(t.ua_losses_k[0])}
        events.append(Event(day, "front", "ground_taken" if losses["ground_km2"] >= 0.5 else "attack_held", losses))
    if t.retaken_km2[0] >= 0.5:  # a response to a probe retook ground (the US's at once, the coalition's later)
        events.append(Event(day, "front", "ground_retaken", {"retaken_km2": float(t.retaken_km2[0])}))
    before_us, before_co = (float(b[0]) for b in t.beliefs_before)  # 6: learning
    after_us, after_co = float(R.grid_mean(s.belief_us)[0]), float(R.grid_mean(s.belief_co)[0])
    if after_us != before_us:
        events.append(_belief_event(day, "belief_us", before_us, after_us))
    if after_co != before_co:
        events.append(_belief_event(day, "belief_coalition", before_co, after_co))
    for slot in np.flatnonzero(t.withdrew[0]):  # 7: slow variables
        events.append(Event(day, "member", "member_withdraws", {
            "member": int(slot) + 1, "troops_k": float(before.member_troops_k[0, slot]),
            "support": float(s.member_support[0, slot])}))
    if t.us_lapsed[0]:
        events.append(Event(day, "us", "us_pledge_lapses", {}))
    elif p.us.review_day[0] == day > 0 and s.us_committed[0]:
        events.append(Event(day, "us", "us_pledge_renewed", {}))
    if t.fired_back[0] and action == Action.PROBE:  # 8: status
        opponent = "coalition_and_us" if t.us_acted[0] else "coalition"
        events.append(Event(day, "ceasefire", "clash", {"opponent": opponent}))
        events.append(Event(day, "ceasefire", "clash_escalates" if t.escalated[0] else "clash_contained", {}))
    if s.collapse_day[0] == day:
        mode = FailureMode(int(s.failure_mode[0])).label
        events.append(Event(day, "ceasefire", "collapse", {"failure_mode": f"failure_{mode}"}))
    elif day == p.horizon_days:
        events.append(Event(day, "ceasefire", "holds", {}))
    return events


# ------------------------------------------------------------------------------------------------ telling
def _stretch(events: list[Event], fmt: _Phrasing, words: dict) -> str:
    """One sentence for a run of incident-only days."""
    first, last = events[0].day, events[-1].day
    if first == last:
        return _day(events, fmt, words)
    count = {action: sum(e.action == action for e in events) for action in _INCIDENT_DAY}
    regime = next((e.detail["regime"] for e in events if e.actor == "monitors"), "none")
    detected = count["detects_attributes"] + count["detects"]
    tpl, where = words["templates"], {"regime": regime}
    clauses = [fmt.format(tpl["stretch_incidents"], days=count["incidents"])]
    clauses.append(fmt.format(_template(tpl, "stretch_monitoring", where), regime=regime, detected=detected,
                              attributed=count["detects_attributes"]) if detected
                   else _template(tpl, "stretch_undetected", where))
    if count["retaliates"]:
        clauses.append(fmt.format(tpl["stretch_retaliation"], times=count["retaliates"]))
    return fmt.format(words["stretch"], first=first, last=last, clauses=words["join"].join(clauses))


def _template(templates: dict, action: str, detail: dict) -> str:
    """The action's template, or its variant for no monitors or for a force of no troops where it has one."""
    if detail.get("regime") == "none" and f"{action}.none" in templates:
        return templates[f"{action}.none"]
    if round(detail.get("troops_k", 1.0) * 1000) == 0 and f"{action}.no_troops" in templates:
        return templates[f"{action}.no_troops"]
    return templates[action]


def _day(events: list[Event], fmt: _Phrasing, words: dict) -> str:
    clauses = [fmt.format(_template(words["templates"], e.action, e.detail), **e.detail) for e in events]
    return fmt.format(words["day"], day=events[0].day, clauses=words["join"].join(clauses))


def narrate(events: list[Event], language: str = "en") -> list[str]:
    """Sentences telling ``events`` (in day order), one per eventful day or stretch of incident-only days."""
    words = PHRASES[language]
    fmt = _Phrasing(words)
    lines: list[str] = []
    stretch: list[Event] = []
    for _day_number, group in groupby(events, key=lambda e: e.day):
        today = list(group)
        if {e.action for e in today} <= _INCIDENT_DAY:
            if stretch and today[0].day - stretch[0].day >= STRETCH_DAYS:
                lines.append(_stretch(stretch, fmt, words))
                stretch = []
            stretch.extend(today)
            continue
        if stretch:
            lines.append(_stretch(stretch, fmt, words))
            stretch = []
        lines.append(_day(today, fmt, words))
    if stretch:
        lines.append(_stretch(stretch, fmt, words))
    return lines
