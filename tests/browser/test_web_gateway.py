"""End to end: the demo page in headless Chromium posting to the real Envoy with the filter.
The browser and the gateway judge the same bytes: a form the page lets through arrives
upstream byte for byte, and a form the page would block, submitted without the module, gets
from Envoy a page of exactly the decision the page computed: the browser asks for HTML, so
the gateway answers with its page (docs/envoy.md, "Answers people can read") listing the
same messages and rules, in the same locale, under the same policy.
"""

from __future__ import annotations

import json
import time

from selenium.webdriver.common.by import By

from test_web_form import complete_person, fill, open_page, page_body


def signups(upstream, since):
    # Only what the form sent: the browser also asks the gateway's host for a favicon.
    return [r for r in upstream.received[since:] if r.path == "/signup"]


def post_to(driver, url):
    driver.execute_script("document.getElementById('signup').action = arguments[0]", url)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def test_the_gateway_judges_what_the_browser_judged(chromium, site, site_factory, envoy_factory, upstream):
    proxy = envoy_factory()
    signup = f"http://127.0.0.1:{proxy.port}/signup"

    # Allowed in the page: submitted, and the upstream receives exactly the page's bytes.
    open_page(chromium, site)
    fill(chromium, complete_person())
    body, _ = page_body(chromium)
    assert chromium.execute_script("return document.getElementById('signup').checkValidity()")
    before = len(upstream.received)
    post_to(chromium, signup)
    deadline = time.monotonic() + 10
    while not [r for r in signups(upstream, before) if r.body is not None]:
        assert time.monotonic() < deadline, "nothing reached the upstream"
        time.sleep(0.05)
    (arrived,) = signups(upstream, before)
    assert arrived.body == body
    assert arrived.header("x-cipgate-outcome") == "allow"

    # Blocked in the page: the same form, sent without the module, gets the page's decision
    # from the gateway, and nothing reaches the upstream.
    pairs = [p for p in complete_person() if p[0] != "customer.phone"]
    open_page(chromium, site)
    fill(chromium, pairs)
    body, content_type = page_body(chromium)
    expected = chromium.execute_async_script(
        "const [body, type, done] = arguments;"
        "import('./web/index.js').then((w) => done(w.decide(body, type)));",
        body.decode(), content_type,
    )
    assert json.loads(expected)["outcome"] == "incomplete"

    bare = site_factory(without=("cipgate_web_bg.wasm",))
    chromium.get(bare.url)
    open_page(chromium, bare, expect="unavailable")
    fill(chromium, pairs)
    before = len(upstream.received)
    post_to(chromium, signup)
    deadline = time.monotonic() + 10
    while not chromium.current_url.startswith(signup):
        assert time.monotonic() < deadline, "the form did not reach the gateway"
        time.sleep(0.05)
    answered = chromium.execute_script(
        "const items = [...document.querySelectorAll('main li')];"
        "return {lang: document.documentElement.lang,"
        " messages: items.map((li) => li.firstChild.textContent),"
        " rules: items.map((li) => [...li.querySelectorAll('code')].pop().textContent),"
        " footer: document.querySelector('footer').textContent};"
    )
    decision = json.loads(expected)
    assert answered["messages"] == [v["message"] for v in decision["violations"]]
    assert answered["rules"] == [v["rule"] for v in decision["violations"]]
    assert answered["lang"] == decision["locale"]
    assert decision["policy"]["sha256"] in answered["footer"]
    assert signups(upstream, before) == []
