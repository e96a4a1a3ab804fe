"""The demo signup page in German (``<html lang="de">``) in headless Chromium: the package
passes the page's language to the module, whose core picks the policy's German messages the
way the gateway does from ``Accept-Language``. Expected messages and decisions come from
``cipgate check --locale`` on the bytes the page would send, never from this file.
"""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By

from conftest import REPO
from test_web_differential import native_check  # noqa: F401 (fixture)
from test_web_form import (FORM, active, complete_person, control, fill, message_of,
                           no_post_after, open_page, page_body, person_in)

PAGE = (REPO / "examples" / "signup" / "index.html").read_text()
TIME = 1_767_225_600  # 2026-01-01T00:00:00Z, as in the policy's test cases


def page_in(lang: str) -> bytes:
    html = PAGE.replace('<html lang="en">', f'<html lang="{lang}">', 1)
    assert html != PAGE, "the demo page no longer starts with <html lang=\"en\">"
    return html.encode()


@pytest.fixture(scope="module")
def german_site(site_factory):
    return site_factory(pages={"index.html": page_in("de")})


def page_decision(driver, options: dict | None = None) -> str:
    """The decision JSON the package gives for the form as it stands, with ``options``."""
    return driver.execute_async_script(
        "const [options, done] = arguments;"
        "import('./web/index.js').then((w) => {"
        "  const { body, contentType } = w.encode(document.getElementById('signup'));"
        "  done(w.decide(body, contentType, options));"
        "});",
        options or {},
    )


def test_a_german_page_shows_the_german_messages(chromium, german_site, native_check):
    open_page(chromium, german_site)
    fill(chromium, [p for p in complete_person() if p[0] != "customer.phone"])
    body, content_type = page_body(chromium)
    assert content_type == FORM
    german = json.loads(native_check(body, FORM, {"locale": "de"}))
    english = json.loads(native_check(body, FORM))
    assert german["locale"] == "de" and english["locale"] == "en"
    expected = [v["message"] for v in german["violations"] if v.get("field") == "customer.phone"]
    assert expected and expected != [v["message"] for v in english["violations"]
                                     if v.get("field") == "customer.phone"]

    before = len(german_site.posts)
    chromium.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert no_post_after(german_site, before), "a signup without phone was submitted"
    phone = control(chromium, "customer.phone")
    assert phone.get_attribute("aria-invalid") == "true"
    assert phone.get_property("validationMessage") == " ".join(expected)
    assert message_of(chromium, phone).text.endswith(" ".join(expected))
    summary = active(chromium)
    assert "cipgate-summary" in summary.get_attribute("class")
    assert summary.find_element(By.TAG_NAME, "h2").text == "Bitte prüfen Sie Ihre Angaben"


@pytest.mark.parametrize("lang,locale", [("de", "de"), ("de-CH", "de"), ("fr", "en")])
def test_the_page_decides_in_its_language_the_bytes_cipgate_check_gives(
        chromium, site_factory, native_check, lang, locale):
    site = site_factory(pages={"index.html": page_in(lang)})
    open_page(chromium, site)
    fill(chromium, person_in("IR"))
    body, _ = page_body(chromium)
    text = page_decision(chromium, {"time": TIME})
    decision = json.loads(text)
    assert decision["locale"] == locale
    assert text == native_check(body, FORM, {"time": TIME, "locale": lang})
    # Rule ids, codes and citations do not depend on the page's language.
    english = json.loads(native_check(body, FORM, {"time": TIME}))
    assert [(v["rule"], v["code"], v["citation"]) for v in decision["violations"]] == [
        (v["rule"], v["code"], v["citation"]) for v in english["violations"]]


def test_an_explicit_locale_wins_over_the_page_s_language(chromium, german_site, native_check):
    open_page(chromium, german_site)
    fill(chromium, [p for p in complete_person() if p[0] != "customer.email"])
    body, _ = page_body(chromium)
    options = {"time": TIME, "locale": "en"}
    assert page_decision(chromium, options) == native_check(body, FORM, options)
    locale = chromium.execute_async_script(
        "const done = arguments[0];"
        "import('./web/index.js').then((w) => "
        "  done(w.validate(document.getElementById('signup'), null, { locale: 'en' }).locale));")
    assert locale == "en"
