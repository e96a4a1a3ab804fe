"""Country and region selects on the demo signup page in headless Chromium
(``bindCountryRegion``): names in the page's language, the region select following the
country, and a form that sends the same codes, so the same decision, as a person typing them
on the page without JavaScript. Expected names come from pycountry and the browser's Intl,
decisions from ``cipgate check``, never from the package.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pycountry
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_web_differential import native_check  # noqa: F401 (fixture)
from test_web_form import FORM, complete_person, control, fill, open_page, wait_for_post
from test_web_locale import page_in

WITHOUT_JAVASCRIPT_PACKAGE = ("index.js", "cipgate_web.js", "cipgate_web_bg.wasm")


@pytest.fixture(scope="module")
def german_site(site_factory):
    return site_factory(pages={"index.html": page_in("de")})


def options_of(select) -> list[tuple[str, str]]:
    return [(o.get_attribute("value"), o.text) for o in Select(select).options]


def region_field(driver):
    return driver.find_element(By.ID, "region-field")


def pycountry_regions(country: str) -> set[tuple[str, str]]:
    return {(s.code, s.name) for s in pycountry.subdivisions.get(country_code=country)}


def test_countries_and_regions_by_name_in_german(chromium, german_site):
    open_page(chromium, german_site)
    country = control(chromium, "customer.address.country")
    names = dict(options_of(country))
    assert names["DE"] == "Deutschland" and names["CH"] == "Schweiz"
    assert names[""] == "Choose a country", "the page's placeholder stays first"
    assert len(names) == 1 + len(pycountry.countries) + 1  # with Kosovo (XK)
    # Every country select on the page, not only the address's.
    assert dict(options_of(control(chromium, "payment.country")))["DE"] == "Deutschland"
    # No country yet: nothing to choose, nothing sent.
    region = control(chromium, "customer.address.region")
    assert region.tag_name == "select" and not region_field(chromium).is_displayed()
    assert not region.is_enabled()

    Select(country).select_by_visible_text("Deutschland")
    region = control(chromium, "customer.address.region")
    assert region_field(chromium).is_displayed() and region.is_enabled()
    offered = options_of(region)
    assert offered[0] == ("", "Choose a region")
    assert set(offered[1:]) == pycountry_regions("DE") and len(offered) == 1 + 16
    assert ("DE-BY", "Bayern") in offered
    # Sorted by name as German sorts (Baden-Württemberg, Bayern, Berlin, ...).
    assert [name for _, name in offered[1:4]] == ["Baden-Württemberg", "Bayern", "Berlin"]
    Select(region).select_by_visible_text("Bayern")

    Select(country).select_by_value("AT")
    offered = options_of(region)
    assert set(offered[1:]) == pycountry_regions("AT")
    assert Select(region).first_selected_option.get_attribute("value") == ""

    Select(country).select_by_value("GI")  # Gibraltar has no ISO 3166-2 subdivisions
    assert not region_field(chromium).is_displayed() and not region.is_enabled()
    body = chromium.execute_script(
        "return new URLSearchParams(new FormData(document.getElementById('signup'))).toString()")
    assert "customer.address.region" not in dict(parse_qsl(body, keep_blank_values=True))


def test_the_selects_send_the_typed_codes_and_get_their_decision(chromium, site_factory,
                                                                  german_site, native_check):
    # The person picks names; another, on the page without JavaScript, types the codes.
    pairs = [p for p in complete_person() if p[0] != "customer.address.region"]
    open_page(chromium, german_site)
    fill(chromium, [p for p in pairs if p[0] != "customer.address.country"])
    Select(control(chromium, "customer.address.country")).select_by_visible_text("Deutschland")
    Select(control(chromium, "customer.address.region")).select_by_visible_text("Bayern")
    before = len(german_site.posts)
    chromium.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    chosen = wait_for_post(german_site, before).body
    assert ("customer.address.country", "DE") in parse_qsl(chosen.decode())
    assert ("customer.address.region", "DE-BY") in parse_qsl(chosen.decode())

    plain = site_factory(without=WITHOUT_JAVASCRIPT_PACKAGE)
    chromium.get(plain.url)
    region = control(chromium, "customer.address.region")
    assert region.tag_name == "input"
    fill(chromium, pairs + [["customer.address.region", "DE-BY"]])
    chromium.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    typed = wait_for_post(plain, 0).body

    assert chosen == typed
    decision = json.loads(native_check(chosen, FORM, {"locale": "de"}))
    assert decision["outcome"] == "allow"


def test_a_typed_region_is_kept_when_the_country_has_it(chromium, german_site):
    """A region input the person (or the browser's autofill) filled before the binding ran
    becomes a select with that region chosen, with the input's id, name and ARIA links."""
    open_page(chromium, german_site)
    made = chromium.execute_async_script(
        "const done = arguments[0];"
        "document.body.insertAdjacentHTML('beforeend', `<form id='t'>"
        "  <select id='t-country'><option value=''>-</option><option value='FR' selected>FR</option></select>"
        "  <label for='t-region'>Region</label>"
        "  <input id='t-region' name='r' value='FR-75C' aria-describedby='t-hint' spellcheck='false'>"
        "  <input id='t-other' name='o' value='UA-43'></form>`);"
        "import('./web/index.js').then(async (w) => {"
        "  const country = document.getElementById('t-country');"
        "  const { region } = await w.bindCountryRegion(country, document.getElementById('t-region'));"
        "  const kept = region.value;"
        "  country.value = 'UA'; country.dispatchEvent(new Event('change'));"
        "  const afterChange = region.value;"
        "  const other = await w.bindCountryRegion(country, document.getElementById('t-other'));"
        "  done({ tag: region.tagName, id: region.id, name: region.name,"
        "         describedby: region.getAttribute('aria-describedby'),"
        "         spellcheck: region.hasAttribute('spellcheck'), labels: region.labels.length,"
        "         kept, afterChange, other: other.region.value });"
        "});")
    assert made["tag"] == "SELECT" and made["id"] == "t-region" and made["name"] == "r"
    assert made["describedby"] == "t-hint" and not made["spellcheck"] and made["labels"] == 1
    assert made["kept"] == "FR-75C"
    assert made["afterChange"] == "", "Paris is no Ukrainian region"
    assert made["other"] == "UA-43", "a value the country has is kept"


def test_a_failed_region_table_leaves_the_typed_region(chromium, site_factory):
    """Without regions.js the page stays as written: the region is typed, the module decides."""
    site = site_factory(without=("regions.js",))
    open_page(chromium, site)
    assert control(chromium, "customer.address.region").tag_name == "input"
    assert chromium.find_element(By.ID, "region-hint").is_displayed()
