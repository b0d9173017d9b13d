"""How fast the classroom app answers, measured as a participant sees it: ``python -m sim.app_bench [--json FILE]``
serves the app, opens two sessions in headless Chromium at projector size and times, from the click or key press to
what the page shows:

- Step (7 days): the new day in the status line, and the five charts redrawn for that day;
- a slider's number following its thumb while it is dragged (the model is rebuilt once, when the thumb is let go:
  the charts are redrawn then and not before);
- the 1,000-scenario batch, alone and while the second session plays.

Beside each wall time it reports the CPU time the server spent (per step: the main process; per batch: each worker
process, from /proc): on a shared machine the wall times grow with the other jobs' load, the CPU times do not, and on
two free cores a batch takes about as long as its busiest worker's CPU time.

Figures go to docs/performance.md (the app section); they depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from sim.app import PRESETS, settings_for, to_query
from sim.app_browser import ROOT, chromium, open_page, serve

STEPS = 12
DRAG_MOVES = 8
BATCHES = 3


def _cpu(pid: int) -> float:
    """CPU seconds (user and system) a process has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    found, frontier = [], [pid]
    while frontier:
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _workers_cpu(server: int) -> dict[int, float]:
    """CPU seconds of each process below the server (the batch workers and the fork server)."""
    out = {}
    for pid in _descendants(server):
        try:
            out[pid] = _cpu(pid)
        except OSError:
            continue
    return out


def _day(page) -> str:
    return page.inner_text(".cf-day").strip()


def _charts_day_is(page, day: str, timeout_ms: int = 60_000) -> None:
    page.wait_for_function("d => { const i = document.querySelector('.cf-chart-level img'); "
                           "return i !== null && i.dataset.day === d; }", arg=day, timeout=timeout_ms)


def _summary(values: list[float]) -> dict:
    return {"n": len(values), "median_s": round(statistics.median(values), 3), "max_s": round(max(values), 3)}


def time_steps(page, server: int) -> dict:
    shown, drawn, cpu = [], [], []
    for _ in range(STEPS):
        before = _day(page)
        cpu_before = _cpu(server)
        started = time.perf_counter()
        page.click(".cf-step")
        page.wait_for_function("b => document.querySelector('.cf-day').innerText.trim() !== b", arg=before,
                               timeout=60_000)
        shown.append(time.perf_counter() - started)
        day = "".join(ch for ch in _day(page).split()[1] if ch.isdigit())
        _charts_day_is(page, day)
        drawn.append(time.perf_counter() - started)
        cpu.append(_cpu(server) - cpu_before)
    return {"status": _summary(shown), "charts": _summary(drawn), "server_cpu": _summary(cpu)}


def time_drag(page) -> dict:
    """Drag US credibility's thumb to the left in small moves; the number beside it must follow each move."""
    thumb = page.locator(".cf-slider-us_credibility .v-slider__thumb-container").bounding_box()
    track = page.locator(".cf-slider-us_credibility .v-slider").bounding_box()
    x, y = thumb["x"] + thumb["width"] / 2, thumb["y"] + thumb["height"] / 2
    beliefs = page.get_attribute(".cf-chart-beliefs img", "src")
    value = ".cf-slider-us_credibility .cf-value"
    follow = []
    page.mouse.move(x, y)
    page.mouse.down()
    for _ in range(DRAG_MOVES):
        before = page.inner_text(value).strip()
        x -= track["width"] / 20  # one slider step (0.05) per move
        started = time.perf_counter()
        page.mouse.move(x, y)
        page.wait_for_function("([s, b]) => document.querySelector(s).innerText.trim() !== b", arg=[value, before],
                               timeout=30_000)
        follow.append(time.perf_counter() - started)
    redrawn_while_dragging = page.get_attribute(".cf-chart-beliefs img", "src") != beliefs
    started = time.perf_counter()
    page.mouse.up()
    page.wait_for_function("([s, b]) => document.querySelector(s).getAttribute('src') !== b",
                           arg=[".cf-chart-beliefs img", beliefs], timeout=60_000)
    return {"number_follows_thumb": _summary(follow), "charts_redrawn_while_dragging": redrawn_while_dragging,
            "model_and_charts_after_release_s": round(time.perf_counter() - started, 3)}


def time_batches(page, server: int, other=None) -> dict:
    """Run the batch ``BATCHES`` times (while ``other`` plays, if given); seconds to the result on the board."""
    page.click(".cf-view-batch")
    page.wait_for_selector(".cf-run-batch")  # the board is drawn: its rows can be counted
    page.wait_for_timeout(500)
    if other is not None:
        other.click(".cf-play")
    seconds, engine, busiest = [], [], []
    try:
        for _ in range(BATCHES):
            runs = page.locator(".cf-board-row").count()
            cpu_before = _workers_cpu(server)
            started = time.perf_counter()
            page.click(".cf-run-batch")
            page.wait_for_function(f"() => document.querySelectorAll('.cf-board-row').length > {runs}",
                                   timeout=300_000)
            seconds.append(time.perf_counter() - started)
            engine.append(float(page.inner_text(".cf-batch-time").split()[-2]))
            cpu_after = _workers_cpu(server)
            busiest.append(max(cpu_after[p] - cpu_before.get(p, 0.0) for p in cpu_after))
        playing = other is not None and other.is_disabled(".cf-step") and other.is_enabled(".cf-play")
    finally:
        if other is not None and other.is_enabled(".cf-play") and other.is_disabled(".cf-step"):
            other.click(".cf-play")  # Pause
    page.click(".cf-view-scenario")
    return {"page": _summary(seconds), "engine_in_workers": _summary(engine),
            "busiest_worker_cpu": _summary(busiest), "other_session_played": playing}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    results = {"cpus": os.cpu_count(), "load_average_before": os.getloadavg()}
    with serve(ROOT / "tests" / "artifacts" / "app-bench-server.log") as (url, server), chromium() as browser:
        first_context, first = open_page(browser, url)
        # The second session plays a scenario that holds to the horizon: it plays through all the batches.
        second_context, second = open_page(browser, f"{url}?{to_query(settings_for(PRESETS[0], seed=1), 'en', 7)}")
        first.wait_for_timeout(2000)  # the batch workers start when a page opens
        results["step"] = time_steps(first, server)
        results["slider_drag"] = time_drag(first)
        results["batch_alone"] = time_batches(first, server)
        results["batch_while_other_plays"] = time_batches(first, server, second)
        first_context.close()
        second_context.close()
    results["load_average_after"] = os.getloadavg()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
