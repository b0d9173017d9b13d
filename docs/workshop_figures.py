"""Regenerate every figure docs/workshop.md quotes, from the model, and write them into the guide.

    python docs/workshop_figures.py          # rewrite the figures between <!--fig:NAME--> ... <!--/fig--> markers

Each figure is what the classroom app shows for 1,000 scenarios of its settings (the app runs ``run_batch`` on the
same seed and scenario indices), or what a workshop notebook computes on the same scenarios (paired comparisons).
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "workshop.md"
N = 1000  # the app's batch
sys.path.insert(0, str(ROOT))


def _outcomes(*overrides: str, n: int = N):
    import sim

    return sim.run_batch(sim.compose_config([f"n_scenarios={n}", *overrides]), progress=False).outcomes


def _share(o) -> float:
    return float(o["collapsed"].mean())


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _with_interval(o) -> str:
    from sim.stats import wilson_interval

    k, n = int(o["collapsed"].sum()), len(o)
    low, high = wilson_interval(k, n)
    return f"**{_pct(k / n)}** (95% CI {_pct(low)} to {_pct(high)})"


def _paired_se(a, b) -> tuple[float, float]:
    d = b["collapsed"].to_numpy(float) - a["collapsed"].to_numpy(float)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))


def figures() -> dict[str, str]:
    """Name -> the text the guide shows."""
    plan = _outcomes()
    out = {
        "plan_1000": _with_interval(plan),
        "plan_us_credibility_02": _with_interval(_outcomes("us.credibility=0.2")),
        "troops_5_50": f"**{_pct(_share(_outcomes('coalition.troops_k=5')))}** and "
                       f"**{_pct(_share(_outcomes('coalition.troops_k=50')))}**",
        "gains_15": f"**{_pct(_share(_outcomes('russia.value_of_gains=15')))}**",
        "bluff_hidden": f"bluff **{_pct(_share(_outcomes('scenario=bluff')))}**, hidden resolve "
                        f"**{_pct(_share(_outcomes('scenario=hidden_resolve')))}**",
    }
    minsk = _outcomes("scenario=minsk")
    modes = minsk.loc[minsk["collapsed"], "failure_mode"].value_counts(normalize=True)
    aid, alone = _share(_outcomes("scenario=aid_only")), _share(_outcomes("scenario=coalition_only"))
    out["presets"] = (
        f"*Minsk-like baseline* (**{_pct(_share(minsk))}** collapse; {_pct(modes.get('offensive', 0.0))} of the "
        f"collapses a deliberate offensive), *Arms and money only* (**{_pct(aid)}**), *Coalition force, no US "
        f"backstop* (**{_pct(alone)}**) and the plan (**{_pct(_share(plan))}**)")
    minsk_force = _outcomes("scenario=minsk", "coalition.troops_k=25", "coalition.members=30")
    out["minsk_troops_25"] = f"**{_pct(_share(minsk_force))}**"
    # Notebook 2, Exercise 2: three worlds on the same 2,000 scenarios of the bluff preset.
    worlds = {"weakness": ("us.credibility=0.2", "us.resolve=0.2", "coalition.credibility=0.25",
                           "coalition.resolve=0.25"),
              "bluff": (),
              "strength": ("us.credibility=0.8", "us.resolve=0.8", "coalition.credibility=0.7",
                           "coalition.resolve=0.7")}
    runs = {name: _outcomes("scenario=bluff", *o, n=2000) for name, o in worlds.items()}
    out["signals"] = ", ".join(f"{name} {_pct(_share(o))}" for name, o in runs.items())
    stubborn = _outcomes("scenario=bluff", "russia.prior_concentration=50", n=2000)
    out["slow_learner"] = f"collapse {_pct(_share(stubborn))} instead of {_pct(_share(runs['bluff']))}"
    # Notebook 3, Exercise 1: the decision rule on the plan's 2,000 scenarios.
    lead = _outcomes(n=2000)
    unanimity = _outcomes("coalition.decision_rule=unanimity", n=2000)
    out["rules"] = f"{_pct(_share(unanimity))} against {_pct(_share(lead))}"
    low_support = _outcomes("coalition.support=0.5", n=2000)
    out["support"] = (f"about {low_support['coalition_members_final'].mean():.0f} of 30 members remain after three "
                      f"years and collapse rises to {_pct(_share(low_support))} (from {_pct(_share(lead))})")
    # Notebook 4, Exercise 3: US credibility 0.1 against 0.9 on the same scenarios.
    low, high = _outcomes("us.credibility=0.1"), _outcomes("us.credibility=0.9")
    diff, se = _paired_se(low, high)
    out["credibility_sweep"] = (f"from {_pct(_share(low))} to {_pct(_share(high))}; on the same scenarios the "
                                f"difference is {abs(diff) / se:.0f} standard errors wide")
    return out


def write() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    values = figures()
    found = set(re.findall(r"<!--fig:(\w+)-->", text))
    if found != set(values):
        raise SystemExit(f"{GUIDE}: markers {sorted(found)} do not match the figures {sorted(values)}")
    for name, value in values.items():
        text = re.sub(rf"<!--fig:{name}-->.*?<!--/fig-->", lambda _m, n=name, v=value: f"<!--fig:{n}-->{v}<!--/fig-->",
                      text, flags=re.S)
    GUIDE.write_text(text, encoding="utf-8")
    print(f"wrote {len(values)} figures into {GUIDE}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    write()
