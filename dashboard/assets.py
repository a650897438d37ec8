"""The Solara page's web assets, installed once so the dashboard runs with no network.

Solara's page template loads its front end (the Vuetify app bundle, require.js and
Font Awesome) from ``/_solara/cdn/<npm package>@<version>/...``; the server answers
from a local cache directory (``solara.server.settings.assets.proxy_cache_dir``, in the
environment's ``share/solara/cdn``) and only on a miss fetches from a public CDN, which
is unreachable here. :mod:`acsim.cli.webassets` says which packages the installed solara's
template asks for; this module unpacks the missing ones into that cache with the
ordinary npm client (``npm pack``): run it at install time (``.ci/run`` does)::

    python dashboard/assets.py            # install what is missing; prints what it did
    python dashboard/assets.py --check    # exit 1 if something is missing

It is idempotent: packages already in the cache are left alone.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from acsim.cli.webassets import cache_dir, missing, needed_packages

__all__ = ["install", "main", "missing", "needed_packages"]  # missing, needed_packages: re-exported


def install(specs: list[str] | None = None, quiet: bool = False) -> list[str]:
    """``npm pack`` each missing package and unpack it into the cache. Returns what was installed."""
    todo = missing(specs)
    if not todo:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed once to install the dashboard's web assets (Debian: apt-get install npm)")
    root = cache_dir()
    done = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in todo:
            out = subprocess.run([npm, "pack", spec, "--pack-destination", tmp, "--silent"],
                                 check=True, capture_output=True, text=True).stdout.strip().splitlines()
            tgz = Path(tmp) / out[-1]
            dest = root / spec
            staging = Path(tmp) / "unpack"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            with tarfile.open(tgz) as tf:
                tf.extractall(staging, filter="data")
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.exists():
                shutil.rmtree(dest)
            shutil.move(str(staging / "package"), str(dest))
            done.append(spec)
            if not quiet:
                print(f"dashboard assets: {spec} -> {dest}")
    return done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report; exit 1 if an asset is missing")
    args = ap.parse_args(argv)
    if args.check:
        miss = missing()
        for s in miss:
            print(f"missing: {s} (in {cache_dir()})")
        return 1 if miss else 0
    done = install()
    if not done:
        print(f"dashboard assets: all present in {cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
