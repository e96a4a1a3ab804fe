"""The browser module against the native evaluator: for every case, the decision JSON that
``validate``/``decide`` produce in headless Chromium must be byte-identical to what
``cipgate check`` prints for the same body bytes (those the browser itself encoded), with the
policy the module carries: the browser projection ``cipgate build`` wrote beside it
(``dist/<id>.web.cpi``). Where no gateway-only rule fires, that is also the full policy's
decision (checked at the end).

No expected outcome is written here; the native evaluator is the oracle. The cases: every
case of the default policy's test suite (``policies/us-iaas-cip.tests.yaml``), the example
signups each as JSON and as a form, near-valid variants of them, and hostile raw bodies.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from selenium.webdriver.support.ui import WebDriverWait

from conftest import EXAMPLES, REPO

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
ARTIFACTS = REPO / "tests" / "artifacts"
POLICY_TESTS = REPO / "policies" / "us-iaas-cip.tests.yaml"
# One time for both sides, so no case depends on when it runs.
TIME = 1_790_000_000


@pytest.fixture(scope="session")
def native_check(cipgate_bin, dist):
    """``native_check(body, content_type, facts) -> decision JSON text`` from ``cipgate check``
    with the browser projection (``facts`` as the package's ``decide`` takes them, with the
    ``locale``)."""
    binary = cipgate_bin
    policy = dist.root / dist.manifest["web_package"]["projection_file"]

    def check(body: bytes, content_type: str, facts: dict | None = None) -> str:
        facts = facts or {}
        args = [str(binary), "check", "--policy", str(policy), "--content-type", content_type]
        args += ["--time", str(facts.get("time", TIME))]
        if "clientIp" in facts:
            args += ["--client-ip", facts["clientIp"]]
        if "geoCountry" in facts:
            args += ["--geo-country", facts["geoCountry"]]
        if "locale" in facts:
            args += ["--locale", facts["locale"]]
        run = subprocess.run(args + ["-"], input=body, capture_output=True, timeout=60)
        assert run.returncode in (0, 3, 4, 5), run.stderr.decode()
        return run.stdout.decode().removesuffix("\n")

    return check


def form_pairs(document, prefix="") -> list[list[str]]:
    """The canonical document as the name/value pairs of an HTML form with dotted names."""
    if isinstance(document, dict):
        return [p for k, v in document.items() for p in form_pairs(v, f"{prefix}{k}.")]
    if isinstance(document, list):
        return [p for i, v in enumerate(document) for p in form_pairs(v, f"{prefix}{i}.")]
    if isinstance(document, bool):
        value = "true" if document else "false"
    elif document is None:
        value = ""
    else:
        value = str(document)
    return [[prefix.removesuffix("."), value]]


def examples() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))}


def variants() -> dict[str, dict]:
    """Near-valid and hostile documents derived from the examples."""
    ex = examples()
    person = ex["foreign-individual-complete"]
    org = ex["foreign-organization-with-owners"]
    out: dict[str, dict] = {}

    def vary(name, base, change):
        doc = copy.deepcopy(base)
        change(doc)
        out[name] = doc

    vary("phone-of-another-country", person, lambda d: d["customer"].update(phone="+33 1 84 88 20 00"))
    vary("phone-without-plus", person, lambda d: d["customer"].update(phone="0049 30 901820"))
    vary("country-lower-case", person, lambda d: d["customer"]["address"].update(country="de"))
    vary("region-crimea", person, lambda d: d["customer"]["address"].update(region="UA-43", country="UA"))
    vary("region-donetsk", person, lambda d: d["customer"]["address"].update(region="UA-14", country="UA"))
    vary("region-outside-country", person, lambda d: d["customer"]["address"].update(region="US-TX"))
    vary("crimea-phone", person, lambda d: d["customer"].update(phone="+7 365 2 123456"))
    vary("us-person-contradicted", person, lambda d: d["customer"].update(us_person=True))
    vary("us-person-as-string", person, lambda d: d["customer"].update(us_person="true"))
    vary("restricted-party-spacing", person,
         lambda d: d["customer"].update(legal_name="  example   RESTRICTED party ltd "))
    vary("payment-from-cuba", person, lambda d: d["payment"].update(country="CU"))
    vary("unicode-and-emoji", person,
         lambda d: d["customer"].update(legal_name="Zoë Ağaoğlu 🚀", email="zoë@例え.jp"))
    vary("organization-without-owners", org, lambda d: d.pop("beneficial_owners"))
    vary("owner-in-north-korea", org, lambda d: d["beneficial_owners"][1]["address"].update(country="KP"))
    vary("owner-share-out-of-range", org, lambda d: d["beneficial_owners"][0].update(ownership_percent=150))
    vary("owner-share-as-string", org, lambda d: d["beneficial_owners"][0].update(ownership_percent="60"))
    vary("owner-crimea-postal-code", org,
         lambda d: d["beneficial_owners"][0]["address"].update(country="RU", postal_code="295000"))
    vary("owner-donetsk-oblast-postal-code", org,
         lambda d: d["beneficial_owners"][1]["address"].update(country="UA", postal_code="84300"))
    vary("crimea-ukrainian-postal-code", person,
         lambda d: d["customer"].update(address={"line1": "vul. Example 1", "city": "Simferopol",
                                                 "postal_code": "95000", "country": "UA"}))
    vary("crimean-mobile", person, lambda d: d["customer"].update(phone="+7 (978) 123-45-67"))
    vary("donetsk-oblast-landline", person, lambda d: d["customer"].update(phone="+380 62 555 0100"))
    vary("empty-strings", person, lambda d: d["customer"].update(phone="", email=" "))
    return out


def raw_cases() -> dict[str, tuple[bytes, str]]:
    """Bodies no form or JSON.stringify produces: what a hand-made request could send."""
    complete = (EXAMPLES / "foreign-individual-complete.json").read_bytes()
    return {
        "duplicate-key": (b'{"customer":{"kind":"individual","kind":"organization"}}', JSON),
        "byte-order-mark": (b"\xef\xbb\xbf" + complete, JSON),
        "trailing-data": (complete + b"{}", JSON),
        "malformed-json": (complete[:-3], JSON),
        "not-utf8": (b'{"customer":{"legal_name":"\xff\xfe"}}', JSON),
        "non-finite-number": (b'{"beneficial_owners":[{"ownership_percent":1e999}]}', JSON),
        "too-deep": (b'{"a":' * 40 + b"1" + b"}" * 40, JSON),
        "too-large": (b'{"customer":{"legal_name":"' + b"x" * 70000 + b'"}}', JSON),
        "empty-body": (b"", JSON),
        "json-with-charset": (complete, "application/json; charset=utf-8"),
        "text-plain": (complete, "text/plain"),
        "form-empty-pair": (b"customer.kind=individual&&customer.legal_name=A", FORM),
        "form-bad-percent": (b"customer.legal_name=%zz", FORM),
        "form-semicolon": (b"customer.kind=individual;customer.legal_name=A", FORM),
        "form-leading-zero-index": (b"beneficial_owners.01.legal_name=A", FORM),
        "form-index-gap": (b"beneficial_owners.1.legal_name=A", FORM),
        "form-value-and-group": (b"customer=1&customer.kind=individual", FORM),
        "form-brackets": (b"beneficial_owners[0][legal_name]=A", FORM),
        "form-twice": (b"customer.kind=individual&customer.kind=organization", FORM),
        # Names a lenient back end reads as one (docs/security.md): every runtime refuses them.
        "key-case-duplicate": (b'{"customer":{"kind":"individual","Kind":"organization"}}', JSON),
        "key-kelvin-duplicate": (b'{"customer":{"kind":"individual","\\u212aind":"x"}}', JSON),
        "key-nul-duplicate": (b'{"customer":{"kind":"individual","kind\\u0000":"x"}}', JSON),
        "form-case-duplicate": (b"customer.kind=individual&customer.Kind=organization", FORM),
        "form-php-name": (b"customer.kind=individual&customer_kind=organization", FORM),
    }


def generated(count: int = 24, seed: int = 6) -> dict[str, dict]:
    """Documents made by random edits of the examples (a fixed seed, so every run and every
    runtime sees the same ones): values that mean something to a rule, and look-alikes."""
    import random

    rng = random.Random(seed)
    bases = list(examples().values())
    paths = [("customer", "address", "country"), ("customer", "address", "region"),
             ("customer", "address", "postal_code"), ("customer", "phone"), ("customer", "email"),
             ("customer", "kind"), ("customer", "us_person"), ("customer", "legal_name"),
             ("payment", "country"), ("payment", "method"), ("reseller", "is_reseller")]
    values = ["US", "DE", "IR", "ir", "ＩＲ", " IR", "KP", "RU", "UA", "UA-43", "UA-14", "US-TX",
              "295000", "10178", "+98 21 5555 0100", "+1 512 555 0142", "not an email", "",
              "organization", "crypto", True, False, 0, 150, None, ["IR"], {"code": "IR"},
              "Example Restricted Party Ltd"]
    out = {}
    for n in range(count):
        doc = copy.deepcopy(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            *parents, last = rng.choice(paths)
            at = doc
            for key in parents:
                at = at.setdefault(key, {}) if isinstance(at, dict) else {}
            if isinstance(at, dict):
                if rng.random() < 0.2:
                    at.pop(last, None)
                else:
                    at[last] = copy.deepcopy(rng.choice(values))
        out[f"generated-{n}"] = doc
    return out


def scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def policy_test_cases() -> dict[str, dict]:
    """The default policy's own test suite, as browser cases."""
    cases = {}
    for case in yaml.safe_load(POLICY_TESTS.read_text())["cases"]:
        facts = {"time": TIME}
        if "client_ip" in case:
            facts["clientIp"] = case["client_ip"]
        if "geo_country" in case:
            facts["geoCountry"] = case["geo_country"]
        if "locale" in case:
            facts["locale"] = case["locale"]
        if "json" in case:
            c = {"kind": "object", "document": case["json"]}
        elif "form" in case:
            c = {"kind": "form", "pairs": [[k, scalar(v)] for k, v in case["form"].items()]}
        else:
            body = case["body"].encode() if "body" in case else bytes.fromhex(case["body_hex"])
            c = {"kind": "raw", "body": base64.b64encode(body).decode()}
        if "content_type" in case or c["kind"] == "raw":
            c["contentType"] = case.get("content_type", JSON)  # `cipgate check`'s default
        c["facts"] = facts
        cases[f"suite: {case['name']}"] = c
    return cases


# Runs every case in one page: init once, then encode and decide each input.
RUN_CASES = """
const [cases, done] = arguments;
(async () => {
  const web = await import("./web/index.js");
  await web.init();
  // A cold instance of the module for the timings: instantiate, then the first decision
  // (which also loads the policy and compiles its patterns).
  const cold = await import("./web/cipgate_web.js?cold");
  const t0 = performance.now();
  await cold.default({ module_or_path: new URL("./web/cipgate_web_bg.wasm", location.href) });
  const t1 = performance.now();
  cold.decide(new TextEncoder().encode("{}"), "application/json");
  const t2 = performance.now();
  const results = {};
  const s = performance.now();
  for (const [name, c] of Object.entries(cases)) {
    let input;
    if (c.kind === "object") input = c.document;
    else if (c.kind === "form") {
      input = new FormData();
      for (const [k, v] of c.pairs) input.append(k, v);
    }
    const facts = c.facts ?? {};
    let body, contentType, json, decision;
    if (c.kind === "raw") {
      body = c.body;
      contentType = c.contentType;
      const bytes = Uint8Array.from(atob(body), (ch) => ch.charCodeAt(0));
      json = web.decide(bytes, contentType, facts);
      decision = JSON.parse(json);
    } else {
      ({ body, contentType } = web.encode(input));
      contentType = c.contentType ?? contentType;
      json = web.decide(body, contentType, facts);
      // A page knows no gateway facts: validate() is the page's view of the same body.
      const pageView = facts.clientIp === undefined && facts.geoCountry === undefined;
      decision = pageView && contentType === web.encode(input).contentType ? web.validate(input, null, { locale: facts.locale }) : JSON.parse(json);
      body = btoa(String.fromCharCode(...new TextEncoder().encode(body)));
    }
    results[name] = { body, contentType, facts, json, decision, byField: web.messagesByField(decision) };
  }
  const perCaseMs = (performance.now() - s) / Object.keys(cases).length;
  done({ results, initMs: t1 - t0, firstDecisionMs: t2 - t1, perCaseMs, policy: web.policy() });
})().catch((e) => done({ error: String(e && e.stack || e) }));
"""


def all_cases() -> dict[str, dict]:
    cases: dict[str, dict] = policy_test_cases()
    for name, doc in {**examples(), **variants(), **generated()}.items():
        cases[f"{name}.json"] = {"kind": "object", "document": doc}
        cases[f"{name}.form"] = {"kind": "form", "pairs": form_pairs(doc)}
    for name, (body, content_type) in raw_cases().items():
        cases[f"raw-{name}"] = {
            "kind": "raw", "body": base64.b64encode(body).decode(), "contentType": content_type,
            "facts": {"time": TIME},
        }
    for case in cases.values():
        case.setdefault("facts", {"time": TIME})
    return cases


@pytest.fixture(scope="module")
def browser_results(chromium, site):
    chromium.get(site.url)
    # The page's own init() must succeed too, not only the retry below.
    WebDriverWait(chromium, 10).until(
        lambda d: d.execute_script("return document.documentElement.dataset.cipgate") is not None
    )
    assert chromium.execute_script("return document.documentElement.dataset.cipgate") == "ready"
    out = chromium.execute_async_script(RUN_CASES, all_cases())
    assert "error" not in out, out.get("error")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    timing = {k: out[k] for k in ("initMs", "firstDecisionMs", "perCaseMs")}
    (ARTIFACTS / "web-timing.json").write_text(json.dumps(timing, indent=1) + "\n")
    return out


@pytest.mark.parametrize("case", sorted(all_cases()))
def test_browser_decides_like_the_native_evaluator(case, browser_results, native_check):
    result = browser_results["results"][case]
    body = base64.b64decode(result["body"])
    assert result["json"] == native_check(body, result["contentType"], result["facts"])
    # The object validate() returns is the one parsed from those bytes.
    assert result["decision"] == json.loads(result["json"])


def test_the_browser_encodes_json_and_forms_as_the_gateway_reads_them(browser_results):
    """The bodies sent to the native side are what the browser made: the JSON one parses to
    the document, the form one decodes to the pairs."""
    from urllib.parse import parse_qsl

    results = browser_results["results"]
    for name, case in all_cases().items():
        body = base64.b64decode(results[name]["body"])
        if "contentType" in case:
            continue  # sent as given
        if case["kind"] == "object":
            assert results[name]["contentType"] == JSON
            assert json.loads(body) == case["document"]
        elif case["kind"] == "form":
            assert results[name]["contentType"] == FORM
            assert parse_qsl(body.decode(), keep_blank_values=True) == [tuple(p) for p in case["pairs"]]


def test_messages_by_field_groups_every_field_violation(browser_results):
    for name, result in browser_results["results"].items():
        expected: dict[str, list[str]] = {}
        for v in result["decision"]["violations"]:
            if "field" in v:
                expected.setdefault(v["field"], []).append(v["message"])
        assert result["byField"] == expected, name


def test_the_module_names_the_policy_of_its_decisions(browser_results, native_check):
    complete = (EXAMPLES / "foreign-individual-complete.json").read_bytes()
    assert browser_results["policy"] == json.loads(native_check(complete, JSON))["policy"]
