// cipgate in the browser: the compiled signup policy, the same bytes the gateway enforces,
// deciding forms as people fill them in. The gateway stays the enforcement point: if this
// module fails to load, forms bound with bindForm() submit normally and the gateway decides.
// Types: index.d.ts. Copied into dist/web/ by `cipgate build`; see docs/web.md.

import initModule, { decide as decideBody, policyJson } from "./cipgate_web.js";

const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";
const BLOCKING = new Set(["incomplete", "reject", "deny"]);
// The heading of a blocked submit's summary, by the decision's locale (options.summaryTitle
// replaces it).
const SUMMARY_TITLES = { en: "There is a problem", de: "Bitte prüfen Sie Ihre Angaben" };

let policyRef = null;
let loading = null;

/** Loads the module (by default `cipgate_web_bg.wasm` beside this file) once. */
export function init(moduleUrl) {
  if (policyRef) return Promise.resolve(policyRef);
  if (!loading) {
    loading = initModule(moduleUrl === undefined ? undefined : { module_or_path: moduleUrl })
      .then(() => (policyRef = JSON.parse(policyJson())))
      .catch((error) => {
        loading = null; // a later call may retry
        throw error;
      });
  }
  return loading;
}

export function isReady() {
  return policyRef !== null;
}

/** The policy inside the module: id, version and sha256, as in every decision. */
export function policy() {
  return required(policyRef);
}

/** The request body a signup input becomes: JSON for plain objects, and for forms exactly
 *  the bytes a browser sends when it submits the form as application/x-www-form-urlencoded. */
export function encode(input, submitter) {
  if (isForm(input)) input = new FormData(input, submitter ?? null);
  if (input instanceof FormData || input instanceof URLSearchParams) {
    const params = new URLSearchParams();
    for (const [name, value] of input) {
      // Form submission sends a file's name and normalises line breaks to CRLF (HTML,
      // "convert to a list of name-value pairs"); URLSearchParams alone does neither.
      params.append(crlf(name), crlf(typeof value === "string" ? value : value.name));
    }
    return { body: params.toString(), contentType: FORM_TYPE };
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new TypeError("cipgate: validate() takes a plain object, a FormData or a form element");
  }
  return { body: JSON.stringify(input), contentType: JSON_TYPE };
}

/** The decision JSON for a raw body, byte for byte what the gateway answers for the same
 *  body, facts and locale. A page knows no gateway facts; the time defaults to now, the
 *  locale to the page's `lang`. */
export function decide(body, contentType, options = {}) {
  required(policyRef);
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const time = options.time ?? Math.floor(Date.now() / 1000);
  const locale = options.locale ?? pageLocale();
  return decideBody(bytes, contentType ?? undefined, time, options.clientIp, options.geoCountry, options.geoRegion, locale);
}

/** Decides a signup given as a plain object, a FormData or a form element; its messages are
 *  in `options.locale`, else in the page's `lang`. */
export function validate(input, submitter, options = {}) {
  const { body, contentType } = encode(input, submitter);
  return JSON.parse(decide(body, contentType, { locale: options.locale }));
}

/** The messages of a decision by field (`customer.phone`, `beneficial_owners.0.legal_name`).
 *  Violations about the request as a whole (no field) are left out. */
export function messagesByField(decision) {
  const byField = {};
  for (const v of decision.violations) {
    if (v.field === undefined) continue;
    (byField[v.field] ??= []).push(v.message);
  }
  return byField;
}

/** Whether a gateway would refuse this decision (incomplete, reject, deny). */
export function blocks(decision) {
  return BLOCKING.has(decision.outcome);
}

/**
 * Validates a form as the person types and on submit, through the Constraint Validation API.
 * Call it after init() resolved; until then (or if loading failed) the form is untouched and
 * submits normally.
 */
export function bindForm(form, options = {}) {
  required(policyRef);
  const fieldOf = (name) => options.fields?.[name] ?? name;
  // The language the form is written in: its own or an ancestor's `lang`, as HTML inherits it.
  const locale = options.locale ?? (form.closest("[lang]")?.lang || undefined);
  const idPrefix = options.idPrefix ?? `cipgate-${(form.id || "form").replace(/\W+/g, "-")}`;
  const touched = new Set(); // control names the person has changed
  const messageElements = new Map(); // control name -> element showing its message
  let submitted = false;
  let summary = options.summary ?? null;
  let last = null;

  // The binding presents every message itself (summary, inline messages), so the browser's
  // own bubbles must not block the submit event first; checkValidity() and :invalid still
  // work, fed by setCustomValidity.
  const hadNoValidate = form.noValidate;
  form.noValidate = true;

  function groups() {
    const byName = new Map();
    for (const el of form.elements) {
      if (!el.name || typeof el.setCustomValidity !== "function") continue;
      if (el.disabled || /^(submit|button|reset|image)$/.test(el.type) || el.tagName === "FIELDSET") continue;
      (byName.get(el.name) ?? byName.set(el.name, []).get(el.name)).push(el);
    }
    return byName;
  }

  function messageElement(name, controls) {
    let el = messageElements.get(name);
    if (el && el.isConnected) return el;
    el = form.querySelector(`[data-cipgate-message-for="${CSS.escape(name)}"]`);
    if (!el) {
      el = document.createElement("p");
      const first = controls[0];
      const group = controls.length > 1 || /^(radio|checkbox)$/.test(first.type) ? first.closest("fieldset") : null;
      const legend = group?.querySelector(":scope > legend");
      if (legend) legend.after(el);
      else first.after(el);
    }
    el.id ||= `${idPrefix}-${name.replace(/\W+/g, "-")}-message`;
    el.classList.add("cipgate-message");
    el.hidden = true;
    messageElements.set(name, el);
    return el;
  }

  function describe(control, id, on) {
    const ids = (control.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((x) => x && x !== id);
    if (on) ids.push(id);
    if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
    else control.removeAttribute("aria-describedby");
  }

  // Feeds one decision into the controls; messages show only once the person has changed
  // the control or tried to submit (the `:user-invalid` timing).
  function render(decision) {
    const errors = {};
    const notes = {};
    for (const v of decision.violations) {
      if (v.field === undefined) continue;
      const into = v.outcome === "review" ? notes : errors;
      const list = (into[v.field] ??= []);
      if (!list.includes(v.message)) list.push(v.message);
    }
    for (const [name, controls] of groups()) {
      const field = fieldOf(name);
      const error = (errors[field] ?? []).join(" ");
      const note = (notes[field] ?? []).join(" ");
      for (const c of controls) c.setCustomValidity(error);
      const shown = submitted || touched.has(name);
      if (!messageElements.has(name) && !(shown && (error || note))) continue;
      const el = messageElement(name, controls);
      const text = shown ? error || note : "";
      el.textContent = text;
      el.hidden = !text;
      el.classList.toggle("cipgate-note", !error);
      for (const c of controls) {
        describe(c, el.id, Boolean(text));
        if (shown && error) c.setAttribute("aria-invalid", "true");
        else c.removeAttribute("aria-invalid");
      }
    }
  }

  function run(submitter) {
    last = validate(form, submitter, { locale });
    render(last);
    options.onDecision?.(last);
    return last;
  }

  function showSummary(decision) {
    if (!summary) {
      summary = document.createElement("div");
      form.prepend(summary);
    }
    summary.classList.add("cipgate-summary");
    summary.tabIndex = -1;
    const heading = document.createElement("h2");
    heading.id = `${idPrefix}-summary-title`;
    heading.textContent = options.summaryTitle ?? SUMMARY_TITLES[decision.locale] ?? SUMMARY_TITLES.en;
    summary.setAttribute("aria-labelledby", heading.id);
    const list = document.createElement("ul");
    const linked = new Set();
    for (const [name, controls] of groups()) {
      const first = controls[0];
      if (first.validity.valid || linked.has(name)) continue;
      linked.add(name);
      const link = document.createElement("a");
      if (!first.id) first.id = `${idPrefix}-${name.replace(/\W+/g, "-")}`;
      link.href = `#${first.id}`;
      link.textContent = first.validationMessage;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        first.focus();
      });
      list.append(item(link));
    }
    // Problems with no control in this form (the request as a whole, or a field the form
    // does not have) are listed as text: the person still learns why the signup is refused.
    const controlled = new Set([...groups().keys()].map(fieldOf));
    for (const v of decision.violations) {
      if (v.outcome === "review" || (v.field !== undefined && controlled.has(v.field))) continue;
      list.append(item(document.createTextNode(v.message)));
    }
    summary.replaceChildren(heading, list);
    summary.hidden = false;
    summary.focus();
  }

  const onInput = (event) => {
    if (event.target.name) run();
  };
  const onChange = (event) => {
    if (!event.target.name) return;
    touched.add(event.target.name);
    run();
  };
  const onSubmit = (event) => {
    submitted = true;
    let decision;
    try {
      decision = run(event.submitter);
    } catch (error) {
      console.error("cipgate: validation failed; the gateway decides", error);
      return;
    }
    if (blocks(decision) || !form.checkValidity()) {
      event.preventDefault();
      showSummary(decision);
    } else if (summary) {
      summary.hidden = true;
    }
  };

  form.addEventListener("input", onInput);
  form.addEventListener("change", onChange);
  form.addEventListener("submit", onSubmit);

  return {
    validate: () => run(),
    get decision() {
      return last;
    },
    destroy() {
      form.removeEventListener("input", onInput);
      form.removeEventListener("change", onChange);
      form.removeEventListener("submit", onSubmit);
      form.noValidate = hadNoValidate;
      for (const controls of groups().values()) {
        for (const c of controls) {
          c.setCustomValidity("");
          c.removeAttribute("aria-invalid");
        }
      }
      for (const [name, el] of messageElements) {
        el.hidden = true;
        for (const c of groups().get(name) ?? []) describe(c, el.id, false);
      }
    },
  };
}

// --- countries and regions -------------------------------------------------------------

let placeTables = null;

/** The generated country and region tables (regions.js), loaded on first use only, so pages
 *  that never show these selects never download them. */
function loadPlaces() {
  placeTables ??= import("./regions.js").catch((error) => {
    placeTables = null; // a later call may retry
    throw error;
  });
  return placeTables;
}

/** Every country the policy's tables know, `{ code: "DE", name: "Deutschland" }`, named by the
 *  browser's Intl in `options.locale` (default: the page's `lang`; the English ISO name where
 *  Intl has none) and sorted by name in that locale. */
export async function countries(options = {}) {
  return countryList(await loadPlaces(), intlLocale(options.locale ?? pageLocale()));
}

/** The ISO 3166-2 subdivisions of a country, `{ code: "DE-BY", name: "Bayern" }`, sorted by
 *  name in `options.locale` (default: the page's `lang`). The names are the same in every
 *  locale (mostly the local official names); none for a country without subdivisions. */
export async function regions(country, options = {}) {
  return regionList(await loadPlaces(), country, intlLocale(options.locale ?? pageLocale()));
}

/**
 * Fills a country <select> with every country, by name in the page's language, and keeps a
 * region control filled with the chosen country's regions. Values stay ISO codes, so the form
 * sends what the policy reads. A text input as the region control (the page's fallback without
 * JavaScript) is replaced by a select with its id, name, class, autocomplete and ARIA
 * attributes. Without a chosen country, or for one without subdivisions, the region select is
 * disabled, so the form sends no region, and hidden (`options.regionField`, else the select and
 * its labels).
 */
export async function bindCountryRegion(countrySelect, regionControl = null, options = {}) {
  const locale = intlLocale(options.locale ?? (countrySelect.closest("[lang]")?.lang || undefined));
  const tables = await loadPlaces();
  fillSelect(countrySelect, countryList(tables, locale), countrySelect.value);
  if (!regionControl) return { region: null, destroy() {} };

  let region = regionControl;
  if (!(region instanceof HTMLSelectElement)) {
    region = document.createElement("select");
    for (const { name, value } of regionControl.attributes) {
      if (/^(id|name|class|autocomplete|required|form|title|aria-.*|data-.*)$/.test(name)) {
        region.setAttribute(name, value);
      }
    }
    region.append(new Option(options.regionPlaceholder ?? "", ""));
    regionControl.replaceWith(region);
  }
  let wanted = regionControl.value; // kept when the chosen country has it
  const update = () => {
    const list = regionList(tables, countrySelect.value, locale);
    fillSelect(region, list, wanted);
    wanted = region.value;
    region.disabled = list.length === 0;
    for (const el of options.regionField ? [options.regionField] : [region, ...region.labels]) {
      el.hidden = region.disabled;
    }
  };
  const onRegionChange = () => {
    wanted = region.value;
  };
  update();
  countrySelect.addEventListener("change", update);
  region.addEventListener("change", onRegionChange);
  return {
    region,
    destroy() {
      countrySelect.removeEventListener("change", update);
      region.removeEventListener("change", onRegionChange);
    },
  };
}

function countryList(tables, locale) {
  const names = displayNames(locale);
  const list = Object.entries(tables.COUNTRIES).map(([code, english]) => ({
    code,
    name: names?.of(code) ?? english,
  }));
  return byName(list, locale);
}

function regionList(tables, country, locale) {
  if (!Object.hasOwn(tables.REGIONS, country)) return [];
  const list = tables.REGIONS[country].split("|").map((entry) => {
    const space = entry.indexOf(" ");
    return { code: `${country}-${entry.slice(0, space)}`, name: entry.slice(space + 1) };
  });
  return byName(list, locale);
}

/** Country names in `locale` from the browser's Intl, or null where it has no DisplayNames. */
function displayNames(locale) {
  if (typeof Intl.DisplayNames !== "function") return null;
  return new Intl.DisplayNames(locale, { type: "region", fallback: "none" });
}

function byName(list, locale) {
  const collator = new Intl.Collator(locale);
  return list.sort((a, b) => collator.compare(a.name, b.name) || (a.code < b.code ? -1 : 1));
}

/** Replaces a select's options (except those with an empty value, its placeholders) with
 *  `places`, selecting `keep` if it is one of them. */
function fillSelect(select, places, keep) {
  const placeholders = [...select.options].filter((option) => option.value === "");
  select.replaceChildren(...placeholders, ...places.map(({ code, name }) => new Option(name, code)));
  select.value = places.some((place) => place.code === keep) ? keep : "";
}

/** The language tag Intl gets: the first of an `Accept-Language` value, or the runtime's
 *  default for none or one Intl refuses. */
function intlLocale(locale) {
  const tag = locale?.split(",")[0].split(";")[0].trim();
  try {
    return tag ? Intl.getCanonicalLocales(tag)[0] : undefined;
  } catch {
    return undefined;
  }
}

function item(child) {
  const li = document.createElement("li");
  li.append(child);
  return li;
}

function isForm(input) {
  return typeof HTMLFormElement !== "undefined" && input instanceof HTMLFormElement;
}

function crlf(text) {
  return text.replace(/\r\n|\r|\n/g, "\r\n");
}

/** The page's language (`<html lang="de">`), where there is a page. */
function pageLocale() {
  return globalThis.document?.documentElement?.lang || undefined;
}

function required(ref) {
  if (ref === null) throw new Error("cipgate: call init() and wait for it first");
  return ref;
}
