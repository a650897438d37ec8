"""Which web assets the Solara page needs, and which are missing from Solara's local cache.

Solara's page template loads its front end (the Vuetify app bundle, require.js and Font
Awesome) from ``/_solara/cdn/<npm package>@<version>/...``; the server answers from a
local cache directory and only on a miss fetches from a public CDN (unreachable
offline). This module reads the package versions the installed solara's template asks
for and checks the cache. ``acsim dashboard`` uses it to refuse to start without them;
``dashboard/assets.py`` (run at install time) fills the cache with npm. Here, in acsim,
so that acsim never imports the dashboard.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["cache_dir", "needed_packages", "missing"]

_SPEC = re.compile(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+)/")


def cache_dir() -> Path:
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def needed_packages() -> list[str]:
    """``name@version`` of every npm package the installed solara's page template loads."""
    import solara.server.server as server
    from solara.server import settings

    template = Path(server.__file__).parent / "templates" / "solara.html.j2"
    text = template.read_text(encoding="utf-8")
    specs = list(dict.fromkeys(_SPEC.findall(text)))
    vue3 = bool(getattr(server, "vue3", False))
    # The template has a Vue 2 and a Vue 3 branch; only the one in use is needed.
    specs = [s for s in specs if not (s.startswith("@widgetti/solara-vuetify3-app@") and not vue3)]
    specs = [s for s in specs if not (s.startswith("@widgetti/solara-vuetify-app@") and vue3)]
    if settings.assets.fontawesome_enabled:
        m = re.match(r"/?((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+)/", settings.assets.fontawesome_path)
        if m and m.group(1) not in specs:
            specs.append(m.group(1))
    return specs


def missing(specs: list[str] | None = None, root: str | Path | None = None) -> list[str]:
    """The packages of ``specs`` (default: :func:`needed_packages`) not unpacked in ``root`` (default: :func:`cache_dir`).

    Solara reads the cache folder from ``SOLARA_ASSETS_PROXY_CACHE_DIR`` when it is set, and
    so does :func:`cache_dir`: the server, this check and :func:`install` agree on one folder.
    """
    root = Path(root) if root is not None else cache_dir()
    return [s for s in (specs or needed_packages()) if not (root / s / "package.json").is_file()]
