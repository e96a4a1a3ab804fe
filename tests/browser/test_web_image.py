"""The browser module refuses a damaged policy image: `init()` rejects with the reason, the
page falls back to letting the gateway decide, and no decision is ever made from it."""

from __future__ import annotations

from conftest import damaged_modules
from test_web_form import open_page

INIT = (
    "const done = arguments[0];"
    "import('./web/index.js').then((w) => w.init())"
    ".then(() => done('resolved'), (e) => done('rejected: ' + e.message));"
)


def test_init_resolves_with_the_undamaged_module(chromium, site):
    chromium.get(site.url)
    assert chromium.execute_async_script(INIT) == "resolved"


def test_init_rejects_a_damaged_image(chromium, site_factory, dist, web_dist):
    module = (web_dist / "cipgate_web_bg.wasm").read_bytes()
    image = (dist.root / dist.manifest["web_package"]["projection_file"]).read_bytes()
    variants = damaged_modules(module, image)
    assert len(variants) >= 16
    for name, module in variants:
        site = site_factory(replace={"cipgate_web_bg.wasm": module})
        chromium.get(site.url)
        answer = chromium.execute_async_script(INIT)
        assert answer.startswith("rejected: ") and "policy image" in answer, f"{name}: {answer}"
        # The demo page shows that the form is left to the gateway.
        open_page(chromium, site, expect="unavailable")
