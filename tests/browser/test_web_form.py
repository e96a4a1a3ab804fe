"""The form binding on the demo signup page (``examples/signup``) in headless Chromium: messages
through the Constraint Validation API, ARIA state, the summary on a blocked submit, keyboard
use, and a page that still submits when the module is missing.

Expected messages are not written here: they come from the native evaluator for the body the
page would send.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import EXAMPLES, REPO
from test_web_differential import form_pairs, native_check  # noqa: F401 (fixture)

ARTIFACTS = REPO / "tests" / "artifacts"
FORM = "application/x-www-form-urlencoded"


def complete_person() -> list[list[str]]:
    return form_pairs(json.loads((EXAMPLES / "foreign-individual-complete.json").read_text()))


def person_in(country: str) -> list[list[str]]:
    """The complete person with an address in another country, without the region: the
    region select offers only the chosen country's regions."""
    return [p if p[0] != "customer.address.country" else [p[0], country]
            for p in complete_person() if p[0] != "customer.address.region"]


def open_page(driver, site, expect="ready"):
    driver.get(site.url)
    deadline = time.monotonic() + 10
    while driver.execute_script("return document.documentElement.dataset.cipgate") != expect:
        assert time.monotonic() < deadline, f"the page never became {expect}"
        time.sleep(0.05)


def control(driver, name):
    return driver.find_element(By.CSS_SELECTOR, f'[name="{name}"]')


def fill(driver, pairs):
    """Fills controls as a person would: typing, choosing options, clicking radios; the
    region after the country, whose regions its select offers."""
    for name, value in sorted(pairs, key=lambda p: p[0].endswith(".region")):
        el = control(driver, name)
        if el.get_attribute("type") == "radio":
            driver.find_element(By.CSS_SELECTOR, f'[name="{name}"][value="{value}"]').click()
        elif el.tag_name == "select":
            Select(el).select_by_value(value)
        else:
            el.clear()
            el.send_keys(value)
    # Leave the last control so its change event fires, as when the person moves on.
    driver.find_element(By.TAG_NAME, "h1").click()


def page_body(driver) -> tuple[bytes, str]:
    """The body the page would send now, as encoded by the package."""
    encoded = driver.execute_async_script(
        "const done = arguments[0];"
        "import('./web/index.js').then((w) => done(w.encode(document.getElementById('signup'))));"
    )
    return encoded["body"].encode(), encoded["contentType"]


def native_messages(native_check, driver, field) -> list[str]:
    body, content_type = page_body(driver)
    decision = json.loads(native_check(body, content_type))
    return [v["message"] for v in decision["violations"] if v.get("field") == field]


def wait_for_post(site, count, timeout=10):
    deadline = time.monotonic() + timeout
    while len(site.posts) <= count:
        assert time.monotonic() < deadline, "the form was not submitted"
        time.sleep(0.05)
    return site.posts[count]


def no_post_after(site, count, wait=1.0):
    time.sleep(wait)
    return len(site.posts) == count


def describedby(el) -> list[str]:
    return (el.get_attribute("aria-describedby") or "").split()


def message_of(driver, el):
    """The visible message element the control is described by, or None."""
    for id in describedby(el):
        found = driver.find_elements(By.ID, id)
        if found and "cipgate-message" in found[0].get_attribute("class") and found[0].is_displayed():
            return found[0]
    return None


def active(driver):
    return driver.switch_to.active_element


def test_missing_phone_blocks_submit_and_fixing_it_clears_the_message(chromium, site, native_check):
    open_page(chromium, site)
    fill(chromium, [p for p in complete_person() if p[0] != "customer.phone"])
    expected = native_messages(native_check, chromium, "customer.phone")
    assert expected, "the native evaluator finds the phone missing"

    before = len(site.posts)
    chromium.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert no_post_after(site, before), "a signup without phone was submitted"
    assert urlparse(chromium.current_url).path == "/"

    phone = control(chromium, "customer.phone")
    assert phone.get_attribute("aria-invalid") == "true"
    assert phone.get_property("validationMessage") == " ".join(expected)
    assert not chromium.execute_script("return arguments[0].checkValidity()", phone)
    message = message_of(chromium, phone)
    assert message is not None and message.text.endswith(" ".join(expected))
    assert "phone-hint" in describedby(phone), "the hint stays linked"
    # Only the missing field is marked.
    invalid = chromium.find_elements(By.CSS_SELECTOR, '[aria-invalid="true"]')
    assert [el.get_attribute("name") for el in invalid] == ["customer.phone"]

    summary = active(chromium)
    assert "cipgate-summary" in summary.get_attribute("class")
    links = summary.find_elements(By.TAG_NAME, "a")
    assert [(urlparse(a.get_attribute("href")).fragment, a.text) for a in links] == [("phone", " ".join(expected))]

    phone.send_keys("+49 30 901820")
    assert phone.get_attribute("aria-invalid") is None
    assert phone.get_property("validationMessage") == ""
    assert message_of(chromium, phone) is None
    assert describedby(phone) == ["phone-hint"]

    body, content_type = page_body(chromium)
    chromium.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    post = wait_for_post(site, before)
    assert post.path == "/signup"
    assert post.header("Content-Type") == content_type == FORM
    # What the package decided on is exactly what the browser sent.
    assert post.body == body
    assert json.loads(native_check(post.body, FORM))["outcome"] == "allow"


def test_messages_appear_only_after_interaction(chromium, site):
    open_page(chromium, site)
    name = control(chromium, "customer.legal_name")
    name.send_keys("Lena Vogel")
    phone = control(chromium, "customer.phone")
    # The policy already finds the phone missing, so the form is invalid ...
    assert phone.get_property("validationMessage") != ""
    # ... but nothing is announced about a field the person has not reached yet.
    assert chromium.find_elements(By.CSS_SELECTOR, "[aria-invalid]") == []
    assert message_of(chromium, phone) is None


def test_a_restricted_country_shows_the_deny_message(chromium, site, native_check):
    open_page(chromium, site)
    fill(chromium, person_in("IR"))
    expected = native_messages(native_check, chromium, "customer.address.country")
    assert expected, "the native evaluator denies the country"
    country = control(chromium, "customer.address.country")
    assert country.get_attribute("aria-invalid") == "true"
    assert message_of(chromium, country).text.endswith(" ".join(expected))

    before = len(site.posts)
    chromium.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert no_post_after(site, before)


def test_keyboard_only_submit_moves_focus_to_the_summary(chromium, site):
    open_page(chromium, site)
    body = chromium.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(60):
        if active(chromium).get_attribute("type") == "submit":
            break
        active(chromium).send_keys(Keys.TAB)
    else:
        pytest.fail("the submit button cannot be reached with Tab")
    before = len(site.posts)
    active(chromium).send_keys(Keys.ENTER)

    summary = active(chromium)
    assert "cipgate-summary" in summary.get_attribute("class")
    assert summary.find_element(By.TAG_NAME, "h2").text == "There is a problem"
    assert no_post_after(site, before, wait=0.3)

    # Tab to the first link and follow it: focus lands on the field it names.
    summary.send_keys(Keys.TAB)
    link = active(chromium)
    assert link.tag_name == "a"
    target = urlparse(link.get_attribute("href")).fragment
    link.send_keys(Keys.ENTER)
    assert active(chromium).get_attribute("id") == target
    assert active(chromium).get_property("validationMessage") == link.text


def test_review_outcomes_do_not_block(chromium, site, native_check):
    open_page(chromium, site)
    fill(chromium, [p if p[0] != "customer.phone" else [p[0], "+33 1 84 88 20 00"] for p in complete_person()])
    body, content_type = page_body(chromium)
    assert json.loads(native_check(body, content_type))["outcome"] == "review"
    phone = control(chromium, "customer.phone")
    note = message_of(chromium, phone)
    assert note is not None and "cipgate-note" in note.get_attribute("class")
    assert phone.get_attribute("aria-invalid") is None

    before = len(site.posts)
    chromium.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert wait_for_post(site, before).body == body


@pytest.mark.parametrize(
    "missing",
    [("cipgate_web_bg.wasm",), ("index.js", "cipgate_web.js", "cipgate_web_bg.wasm")],
    ids=["wasm-404", "package-404"],
)
def test_the_page_submits_when_the_module_is_missing(chromium, site_factory, missing):
    site = site_factory(without=missing)
    chromium.get(site.url)
    if "index.js" not in missing:
        open_page(chromium, site, expect="unavailable")
    pairs = [p for p in complete_person() if p[0] != "customer.phone"]
    fill(chromium, pairs)
    assert chromium.find_elements(By.CSS_SELECTOR, "[aria-invalid]") == []
    chromium.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    post = wait_for_post(site, 0)
    # The gateway gets the signup as it is and decides.
    assert post.path == "/signup"
    assert post.header("Content-Type") == FORM
    assert b"customer.legal_name=Lena+Vogel" in post.body


def test_screenshot_of_the_error_state(chromium, site):
    open_page(chromium, site)
    fill(chromium, [
        ["customer.kind", "individual"],
        ["customer.legal_name", "Lena Vogel"],
        ["customer.email", "lena.vogel@example.de"],
        ["customer.phone", "030 901820"],
        ["customer.address.country", "IR"],
    ])
    chromium.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert "cipgate-summary" in active(chromium).get_attribute("class")
    height = chromium.execute_script("return document.documentElement.scrollHeight")
    chromium.set_window_size(1000, height + 120)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "signup-error.png"
    assert chromium.save_screenshot(str(path))
    chromium.set_window_size(1280, 1000)
    assert path.stat().st_size > 10_000
