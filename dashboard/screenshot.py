"""Take a screenshot of the dashboard after some rounds (the README's ``docs/dashboard.png``).

    python dashboard/screenshot.py                       # default controls, 12 rounds -> docs/dashboard.png
    python dashboard/screenshot.py --scenario quickstart --rounds 8 --out /tmp/quickstart.png

Starts the real server on a free localhost port, opens it in Debian's headless chromium,
clicks Step ``--rounds`` times (waiting for each round's charts) and saves the page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard.testing import (  # noqa: E402
    DashboardServer,
    chart_src,
    launch_chromium,
    open_dashboard,
    wait_chart_change,
    wait_round,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=None)
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--out", default=str(ROOT / "docs" / "dashboard.png"))
    ap.add_argument("--width", type=int, default=1440)
    ap.add_argument("--height", type=int, default=900)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with DashboardServer(scenario=args.scenario) as srv, sync_playwright() as p:
        browser = launch_chromium(p)
        page = open_dashboard(browser, srv.url, viewport=(args.width, args.height))
        for k in range(1, args.rounds + 1):
            page.wait_for_selector(".acsim-step:not([disabled])", timeout=120_000)
            old = chart_src(page, "alpha")
            page.click(".acsim-step")
            wait_round(page, k, timeout=300)
            wait_chart_change(page, "alpha", old, timeout=60)
        page.mouse.move(0, 0)
        page.screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
