"""One dashboard round in a real browser: click Step → round counter updated → charts updated.

    python benchmarks/dashboard_round.py                     # theory and bow firms, N = 10,000, 10 clicks each
    python benchmarks/dashboard_round.py --firms theory --clicks 20

Starts the real server (``solara run dashboard/app.py`` through ``acsim.cli.serve``) on a
free localhost port with a scenario of N = 10,000 workers (costs c ~ U(0.05, 0.35),
γ ~ U(0.3, 0.7), a Barabási–Albert contact network, a cheapest-first principal signing at
most 150 recruits per round; the ``theory`` firm reads S off a sigmoid (mid 0.08, slope
60), the ``bow`` firm retrains on the 10,000 workers' synthetic resumes every round),
opens it in Debian's headless chromium through Playwright, and for each click measures
in wall-clock time, from just before ``page.click`` returns control to the page:

* ``counter``: until the page shows ``Round: k``;
* ``charts``: until the α, S and spend chart images have new sources and are loaded
  (the six charts are sent in one update).

The first round of a model is reported apart (the bow firm tokenizes the corpus then).
The server also reports its own split per round ("Round k done in X s (charts Y s)"):
``model_s`` (``model.step()``) and ``render_s`` (drawing the six PNGs), parsed from the page.
Writes ``benchmarks/results/dashboard_round.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.testing import (  # noqa: E402
    DashboardServer,
    chart_src,
    launch_chromium,
    open_dashboard,
    wait_chart_change,
    wait_round,
)

SCENARIO = """
name = "dashboard-benchmark-{firm}"
rounds = 1000
[population]
n = {n}
cost = {{ dist = "uniform", low = 0.05, high = 0.35 }}
gamma = {{ dist = "uniform", low = 0.3, high = 0.7 }}
network = {{ kind = "barabasi_albert", m = 3 }}
[firm]
kind = "{firm}"
{firm_lines}
[principal]
policy = "cheapest"
recruits_per_round = 150
"""
THEORY_LINES = 'curve = "sigmoid"\nmidpoint = 0.08\nslope = 60'
WATCHED = ("alpha", "success", "spend")


def scenario_text(firm: str, n: int) -> str:
    return SCENARIO.format(firm=firm, n=n, firm_lines=THEORY_LINES if firm == "theory" else "")


def server_split(page) -> tuple[float | None, float | None]:
    text = page.evaluate("() => [...document.querySelectorAll('.acsim-status')].map(e => e.innerText).join(' ')")
    m = re.search(r"done in ([\d.]+) s \(charts ([\d.]+) s\)", text)
    return (float(m.group(1)), float(m.group(2))) if m else (None, None)


def click_round(page, k: int, timeout: float) -> dict:
    page.wait_for_selector(".acsim-step:not([disabled])", timeout=timeout * 1000)
    before = {n: chart_src(page, n) for n in WATCHED}
    t0 = time.perf_counter()
    page.click(".acsim-step")
    wait_round(page, k, timeout)
    t_counter = time.perf_counter() - t0
    for n in WATCHED:
        wait_chart_change(page, n, before[n], timeout)
    t_charts = time.perf_counter() - t0
    model_s, render_s = server_split(page)
    return {"round": k, "counter_s": t_counter, "charts_s": t_charts, "model_s": model_s, "render_s": render_s}


def summarise(rows: list[dict]) -> dict:
    out = {}
    for key in ("counter_s", "charts_s", "model_s", "render_s"):
        vals = [r[key] for r in rows if r[key] is not None]
        if vals:
            out[key] = {"median": statistics.median(vals), "max": max(vals), "min": min(vals)}
    return out


def run_case(browser, firm: str, n: int, clicks: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bench-{firm}.toml"
        path.write_text(scenario_text(firm, n))
        with DashboardServer(scenario=str(path), timeout=120) as srv:
            t0 = time.perf_counter()
            page = open_dashboard(browser, srv.url, timeout=timeout)
            load_s = time.perf_counter() - t0
            first = click_round(page, 1, timeout)
            rows = [click_round(page, k, timeout) for k in range(2, clicks + 2)]
            shot = ROOT / "benchmarks" / "results" / f"dashboard_round_{firm}.png"
            page.screenshot(path=str(shot))
            page.close()
    res = {"firm": firm, "n_workers": n, "page_load_s": load_s, "first_round": first, "rounds": rows,
           "summary": summarise(rows)}
    s = res["summary"]
    print(f"{firm:>7} N={n:,}: page+model ready {load_s:.1f} s; first round {first['charts_s']:.3f} s; "
          f"rounds 2..{clicks + 1}: click→counter median {s['counter_s']['median']:.3f} s (max {s['counter_s']['max']:.3f}), "
          f"click→charts median {s['charts_s']['median']:.3f} s (max {s['charts_s']['max']:.3f}); "
          f"server: model.step {s.get('model_s', {}).get('median', float('nan')):.3f} s, charts {s.get('render_s', {}).get('median', float('nan')):.3f} s")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", default="theory,bow")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--clicks", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "dashboard_round.json"))
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    import matplotlib
    import mesa
    import solara

    (ROOT / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
    cases = []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        version = browser.version
        for firm in [f.strip() for f in args.firms.split(",") if f.strip()]:
            cases.append(run_case(browser, firm, args.n, args.clicks, args.timeout))
        browser.close()
    meta = {
        "command": ("python benchmarks/dashboard_round.py " + " ".join(argv if argv is not None else sys.argv[1:])).strip(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "python": platform.python_version(), "chromium": version, "solara": solara.__version__,
        "mesa": mesa.__version__, "matplotlib": matplotlib.__version__,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "target": "click -> updated charts <= 1 s with the theory or bow firm at N = 10,000",
    }
    Path(args.out).write_text(json.dumps({"meta": meta, "cases": cases}, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
