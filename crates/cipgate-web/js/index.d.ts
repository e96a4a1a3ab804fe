// Types of the cipgate browser package (index.js). Copied into dist/web/ by `cipgate build`.

/** What happens to the signup, from weakest to strongest. */
export type Outcome = "allow" | "review" | "incomplete" | "reject" | "deny";

/** What kind of problem a violation reports. */
export type ViolationCode = "missing" | "invalid" | "restricted" | "inconsistent" | "flagged" | "rejected";

/** Which compiled policy made a decision. */
export interface PolicyRef {
  id: string;
  version: string;
  /** sha256 of the compiled policy, lower-case hex; the gateway tags requests with it. */
  sha256: string;
}

/** One failed rule. */
export interface Violation {
  rule: string;
  /** Dotted field path with list indices (`beneficial_owners.1.address.country`); absent for
   *  rules about the request as a whole. */
  field?: string;
  code: ViolationCode;
  outcome: Outcome;
  message: string;
  citation: string;
}

/** The decision, the object whose JSON the gateway answers for the same body. */
export interface Decision {
  outcome: Outcome;
  /** The HTTP status the gateway answers with (200 when the signup is forwarded). */
  status: number;
  /** The locale every message is in: one of the policy's (`"en"`, `"de"`). */
  locale: string;
  violations: Violation[];
  policy: PolicyRef;
}

export type ContentType = "application/json" | "application/x-www-form-urlencoded";

/** A request body as the gateway receives it. */
export interface EncodedBody {
  body: string;
  contentType: ContentType;
}

/** A signup: the canonical document as a plain object, or a form's entries. */
export type SignupInput = Record<string, unknown> | FormData | URLSearchParams | HTMLFormElement;

export type ModuleSource =
  | string
  | URL
  | Request
  | Response
  | BufferSource
  | WebAssembly.Module
  | Promise<string | URL | Request | Response | BufferSource | WebAssembly.Module>;

/** Loads the module (by default `cipgate_web_bg.wasm` beside index.js) once; resolves with the
 *  policy it holds. Rejects if it cannot be loaded; a later call retries. */
export function init(moduleUrl?: ModuleSource): Promise<PolicyRef>;

/** Whether init() has completed. */
export function isReady(): boolean;

/** The policy inside the module. Throws before init() has completed. */
export function policy(): PolicyRef;

/** The body a signup becomes: JSON for a plain object; for a form, FormData or
 *  URLSearchParams exactly the bytes a browser sends on form submission. */
export function encode(input: SignupInput, submitter?: HTMLElement | null): EncodedBody;

/** What the gateway knows about a request besides its body. A page knows none of it. */
export interface GatewayFacts {
  /** The client IP address (IPv4 or IPv6). */
  clientIp?: string;
  /** The client's country, as a trusted edge in front of the gateway geolocates it. */
  geoCountry?: string;
  /** The client's region as an ISO 3166-2 code (`UA-43`), from the same trusted edge. */
  geoRegion?: string;
  /** Seconds since the Unix epoch; default now. */
  time?: number;
}

/** The language the messages are wanted in. */
export interface LocaleOption {
  /** A language tag (`"de"`, `"de-CH"`) or an `Accept-Language` value; the policy's locale
   *  that fits best is used, else its default. Default: the page's `lang` (none in Node). */
  locale?: string;
}

/** The decision JSON for a raw body, byte for byte what the gateway answers for the same body,
 *  facts and locale (the gateway reads it from `Accept-Language`). Throws before init() has
 *  completed, or for a clientIp that is no IP address. */
export function decide(
  body: string | Uint8Array,
  contentType: string | null,
  options?: GatewayFacts & LocaleOption,
): string;

/** Decides a signup. Throws before init() has completed. */
export function validate(input: SignupInput, submitter?: HTMLElement | null, options?: LocaleOption): Decision;

/** The messages of a decision by field; violations without a field are left out. */
export function messagesByField(decision: Decision): Partial<Record<string, string[]>>;

/** Whether the gateway refuses a signup with this decision (incomplete, reject, deny). */
export function blocks(decision: Decision): boolean;

export interface BindFormOptions extends LocaleOption {
  /** Control name -> policy field, for controls not named after their field. Controls not
   *  listed carry the field of their own name (`customer.phone`). */
  fields?: Record<string, string>;
  /** Where the summary of a blocked submit goes; by default a new element at the top of
   *  the form. */
  summary?: HTMLElement;
  /** Heading of the summary; default "There is a problem" (German "Bitte prüfen Sie Ihre
   *  Angaben" when the decision is in German). */
  summaryTitle?: string;
  /** Prefix of the ids the binding gives to message elements and controls without an id. */
  idPrefix?: string;
  /** Called with every decision the binding makes. */
  onDecision?: (decision: Decision) => void;
}

export interface FormBinding {
  /** Validates the form now and updates its controls. */
  validate(): Decision;
  /** The latest decision, or null before the first one. */
  readonly decision: Decision | null;
  /** Removes the listeners, messages and custom validity the binding set. */
  destroy(): void;
}

/** Validates the form as the person types and on submit through the Constraint Validation
 *  API (setCustomValidity, aria-invalid after interaction, aria-describedby, a summary with
 *  links on a blocked submit). Review outcomes never block. Throws before init() has
 *  completed; an unbound form submits normally and the gateway decides. */
export function bindForm(form: HTMLFormElement, options?: BindFormOptions): FormBinding;

/** A country or region as a select offers it: the ISO code the form sends and the name a
 *  person reads. */
export interface Place {
  /** ISO 3166-1 alpha-2 (`"DE"`) or ISO 3166-2 (`"DE-BY"`). */
  code: string;
  name: string;
}

/** The language of the names and of their order. */
export interface PlaceLocaleOption {
  /** A language tag (`"de"`) or an `Accept-Language` value (its first tag is used). Default:
   *  the page's `lang` (for bindCountryRegion, the country select's), else the runtime's
   *  default locale. */
  locale?: string;
}

/** Every country the policy's tables know, named in the locale by the browser's
 *  `Intl.DisplayNames` (the English ISO short name where it has none) and sorted by name in
 *  it. Loads `regions.js` (beside index.js) on first use; needs no init(). */
export function countries(options?: PlaceLocaleOption): Promise<Place[]>;

/** The ISO 3166-2 subdivisions of a country, sorted by name in the locale; their names are
 *  pycountry's, the same in every locale (mostly the local official names). Empty for a
 *  country without subdivisions or a code that is no country. */
export function regions(country: string, options?: PlaceLocaleOption): Promise<Place[]>;

export interface CountryRegionOptions extends PlaceLocaleOption {
  /** What to hide while there is no region to choose (no country chosen, or a country without
   *  subdivisions), e.g. the region's field wrapper; default the region select and its labels. */
  regionField?: HTMLElement;
  /** Text of the empty first option of a region select made from a text input; default "". */
  regionPlaceholder?: string;
}

export interface CountryRegionBinding {
  /** The region select (the one made in place of a text input), or null without one. */
  readonly region: HTMLSelectElement | null;
  /** Stops updating the region select; the options stay as they are. */
  destroy(): void;
}

/** Fills `country` with every country by name, keeping its options with an empty value
 *  (placeholders) and its current value, and keeps `region` filled with the chosen country's
 *  regions, keeping the chosen region while it is still offered. Option values are ISO codes,
 *  so the form sends the same body as with typed codes. A text input as `region` is replaced
 *  by a select with its id, name, class, autocomplete and ARIA attributes. Without a country
 *  or with one without subdivisions the region select is disabled (nothing is sent) and
 *  hidden. Needs no init(): it works when the policy module is unavailable. */
export function bindCountryRegion(
  country: HTMLSelectElement,
  region?: HTMLSelectElement | HTMLInputElement | null,
  options?: CountryRegionOptions,
): Promise<CountryRegionBinding>;
