//! The IR of a policy: what the compiler lowers a policy to, what a policy image holds
//! (`image/`), and what the evaluator reads.
//!
//! Every field, list, pattern and named condition is referred to by index, so the evaluator
//! never looks anything up by name.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyIr {
    pub meta: Meta,
    pub input: Input,
    pub fields: Vec<Field>,
    pub lists: Vec<NamedList>,
    /// Regular expressions, referred to by index from formats and conditions.
    pub patterns: Vec<String>,
    /// Named conditions, referred to by index from [`Cond::Named`]; the evaluator decides
    /// each at most once per signup (per list element where it reads element fields).
    pub conditions: Vec<NamedCond>,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedCond {
    pub name: String,
    pub cond: Cond,
    /// Whether it reads fields of list elements, so its value depends on the element.
    pub reads_elements: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub id: String,
    pub version: String,
    pub title: String,
    pub description: String,
    pub source: String,
    /// The locales every message is given in (BCP 47 primary language subtags, each one
    /// cipgate has its own texts in); the first is the default.
    pub locales: Vec<String>,
    /// For the browser's projection of a policy (`image::project_for_browser`): the sha256 of
    /// the full policy's image, which its decisions name.
    pub projection_of: Option<[u8; 32]>,
    /// The versions of the list files the policy was compiled with, named in every decision
    /// (kept in the browser's projection, which leaves the lists out).
    pub list_versions: Vec<ListVersion>,
}

/// Which file a list's entries came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListVersion {
    pub list: String,
    /// The sha256 of the file (or files) read, in hex.
    pub sha256: String,
    /// Entries read from the file, in force or not.
    pub entries: u32,
    /// The publication date where the file carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyFormat {
    /// `application/json`
    Json,
    /// `application/x-www-form-urlencoded`
    Form,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub content_types: Vec<BodyFormat>,
    pub max_body_bytes: u32,
    pub max_depth: u32,
}

/// A field the policy reads. Fields inside a list (`list: Some(i)`) have paths relative to
/// one element of that list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Dotted name used in rules and violations (`customer.address.country`).
    pub name: String,
    /// Object keys from the document root (or the list element) in a JSON body.
    pub json: Vec<String>,
    /// Key segments in a form body (`customer.address.country` splits on dots).
    pub form: Vec<String>,
    pub ty: FieldType,
    pub format: Option<Format>,
    pub list: Option<usize>,
    /// The rule that reports an invalid value of this field.
    pub invalid: RuleText,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleText {
    pub rule: String,
    pub message: Localized,
    pub citation: String,
}

/// A text a person reads, once per locale of the policy, in the order of [`Meta::locales`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Localized(pub Vec<String>);

impl Localized {
    /// The text in locale `locale` (an index into [`Meta::locales`]; the validator has
    /// checked that every text has one per locale).
    pub fn get(&self, locale: usize) -> &str {
        self.0.get(locale).map_or("", String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    String,
    Boolean,
    Number { min: Option<f64>, max: Option<f64> },
    Enum(Vec<String>),
    List { max_items: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Email,
    /// International form: `+`, the calling code, the number; spaces, dots, hyphens and
    /// parentheses between digits are allowed and removed.
    Phone,
    /// ISO 3166-1 alpha-2, exactly, in ASCII upper case.
    Country,
    /// ISO 3166-2, exactly (`DE-BE`).
    Subdivision,
    /// The postal code format of the country in field `country`.
    PostalCode {
        country: usize,
    },
    /// A custom regular expression (index into `patterns`).
    Pattern(usize),
    /// A calendar date as ISO 8601 writes it (`1961-03-14`), a day that exists.
    Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Country,
    Subdivision,
    /// Names, compared after folding ASCII case and collapsing white space.
    Text,
    /// Ranges of postal codes within a country, tested on `format: postal_code` fields.
    PostalCode,
    /// Prefixes of E.164 telephone numbers, tested on `format: phone` fields.
    PhoneNumber,
    /// Names of restricted parties and their aliases, screened by similarity (`screening`).
    Names,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedList {
    pub name: String,
    pub kind: ListKind,
    /// Not for publication (a provider's own screening list, say): left out of the browser's
    /// projection of the policy, with every rule that reads it.
    pub private: bool,
    pub entries: Vec<ListEntry>,
    /// The scores a names list acts on; `None` for every other kind.
    pub screening: Option<Screening>,
}

/// Scores in thousandths, as [`crate::screening::score`] gives them, and the list's index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screening {
    /// A name scoring at least this against a listed name is a hit: the rule fires.
    pub hit_score: u16,
    /// A hit scoring at least this is denied whatever the rule's outcome.
    pub deny_score: Option<u16>,
    /// A hit scoring at least this whose entry lists the applicant's country (the test's
    /// `country:` field) is denied.
    pub deny_score_with_country: Option<u16>,
    /// A hit scoring at least this whose entry lists the applicant's date of birth (the
    /// test's `date_of_birth:` field) is denied.
    pub deny_score_with_date_of_birth: Option<u16>,
    pub index: NameIndex,
}

/// Which listed names a screened name could match (`screening/index.rs`): tokens by number.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NameIndex {
    /// For each token, the names it is in: (entry, index into the entry's names), sorted.
    pub postings: Vec<Vec<(u32, u32)>>,
    /// (hash of the token or of a spelling with one letter deleted, token), sorted.
    pub variants: Vec<(u32, u32)>,
    /// Where each run of variants with the same leading hash bits starts
    /// (`screening::index::directory`): made from `variants` at load, never stored.
    #[serde(skip)]
    pub directory: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListEntry {
    pub value: EntryValue,
    pub reason: String,
    pub citation: String,
    /// The outcome of a rule that fires on this entry, in place of the rule's own.
    pub outcome: Option<Outcome>,
    /// The message of a rule that fires on this entry, in place of the rule's own.
    pub message: Option<Localized>,
    /// In force from this time (seconds since the Unix epoch)...
    pub effective: Option<i64>,
    /// ...until just before this one.
    pub expires: Option<i64>,
}

impl ListEntry {
    /// Whether the entry applies at `time`; with no time known, every entry does (a runtime
    /// that cannot tell must not let a designation lapse early).
    pub fn in_force(&self, time: Option<i64>) -> bool {
        let Some(t) = time else {
            return true;
        };
        self.effective.is_none_or(|from| t >= from) && self.expires.is_none_or(|to| t < to)
    }
}

/// What a list entry matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryValue {
    /// A country or subdivision code, or a folded name: the whole value, exactly.
    Exact(String),
    /// The postal codes of `country` whose first characters (as many as `first` has, after
    /// removing spaces and hyphens) sort from `first` to `last`: `UA 95-98` is 95000-98999.
    PostalCodes {
        country: String,
        first: String,
        last: String,
    },
    /// The telephone numbers whose E.164 digits (after the `+`) begin with these.
    PhonePrefix(String),
    /// A listed party, screened by name.
    Party(Party),
}

/// A restricted party as a list gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// The entry's id in its list (`entity_number`, `ent_num`), or its name for entries
    /// written in the policy.
    pub id: String,
    /// The listed name, then its aliases, as listed.
    pub names: Vec<String>,
    /// Each name's tokens ([`crate::screening::name_tokens`]), in the order of `names`.
    pub tokens: Vec<Vec<String>>,
    /// ISO 3166-1 codes the entry lists (citizenship, nationality, addresses), sorted.
    pub countries: Vec<String>,
    /// The dates of birth the entry lists, each as the first and last day it may be
    /// (`YYYYMMDD` as a number: a year listed alone is 1 January to 31 December).
    pub dates_of_birth: Vec<(u32, u32)>,
}

impl EntryValue {
    /// Which of two matching entries applies: the narrower, as in a routing table. Entries
    /// that overlap are nested (the compiler refuses partial overlaps), so the longer prefix
    /// and, at one length, the range that starts later (or ends sooner) is the inner one.
    pub fn precedence(&self) -> (usize, &str, std::cmp::Reverse<&str>) {
        match self {
            EntryValue::Exact(v) | EntryValue::PhonePrefix(v) => {
                (v.len(), "", std::cmp::Reverse(""))
            }
            EntryValue::Party(_) => (0, "", std::cmp::Reverse("")),
            EntryValue::PostalCodes { first, last, .. } => {
                (first.len(), first, std::cmp::Reverse(last))
            }
        }
    }
}

/// What happens to the signup. Declared from weakest to strongest so that `max` combines
/// outcomes in the documented order: deny > reject > incomplete > review > allow.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allow,
    Review,
    Incomplete,
    Reject,
    Deny,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Review => "review",
            Outcome::Incomplete => "incomplete",
            Outcome::Reject => "reject",
            Outcome::Deny => "deny",
        }
    }

    /// Whether a gateway lets a signup with this outcome through to the upstream.
    pub fn is_forwarded(self) -> bool {
        matches!(self, Outcome::Allow | Outcome::Review)
    }

    pub const ALL: [Outcome; 5] = [
        Outcome::Allow,
        Outcome::Review,
        Outcome::Incomplete,
        Outcome::Reject,
        Outcome::Deny,
    ];
}

/// What kind of problem a violation reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// A required field is absent.
    Missing,
    /// A field is present but of the wrong type or format.
    Invalid,
    /// A value names a restricted jurisdiction or party.
    Restricted,
    /// Two facts of the signup contradict each other.
    Inconsistent,
    /// A rule that flags the signup for a person to look at.
    Flagged,
    /// The document could not be judged safely (see [`RejectReason`](crate::decision::RejectReason)).
    Rejected,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Missing => "missing",
            Code::Invalid => "invalid",
            Code::Restricted => "restricted",
            Code::Inconsistent => "inconsistent",
            Code::Flagged => "flagged",
            Code::Rejected => "rejected",
        }
    }

    pub const ALL: [Code; 6] = [
        Code::Missing,
        Code::Invalid,
        Code::Restricted,
        Code::Inconsistent,
        Code::Flagged,
        Code::Rejected,
    ];
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub outcome: Outcome,
    pub code: Code,
    /// Evaluate once per element of this list field.
    pub for_each: Option<usize>,
    /// The rule fires when this field is absent (and `when` holds).
    pub require: Option<usize>,
    /// The field the violation is about.
    pub field: Option<usize>,
    pub when: Option<Cond>,
    pub message: Localized,
    pub citation: String,
    /// The rule reads only gateway facts, so it is decided even for a rejected body.
    pub facts_only: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Named(usize),
    AnyItem {
        list: usize,
        cond: Box<Cond>,
    },
    EveryItem {
        list: usize,
        cond: Box<Cond>,
    },
    Test {
        subject: Subject,
        predicate: Predicate,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Field(usize),
    /// The countries that the calling code (and NANP area code) of a phone field belongs to.
    CallingCountry(usize),
    /// The country part of an ISO 3166-2 subdivision field.
    SubdivisionCountry(usize),
    Fact(Fact),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    ClientIp,
    GeoCountry,
    /// The client's ISO 3166-2 subdivision, from the same trusted component as its country.
    GeoRegion,
    /// Seconds since the Unix epoch, as the gateway saw the request.
    Time,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predicate {
    Present(bool),
    Equals(Scalar),
    In(Vec<Scalar>),
    InList(usize),
    /// A name screened against a names list; `country` is the field whose value, listed by
    /// a hit's entry, makes it a denial from `deny_score_with_country`, and `date_of_birth`
    /// the one from `deny_score_with_date_of_birth`.
    Screened {
        list: usize,
        country: Option<usize>,
        date_of_birth: Option<usize>,
    },
    Matches(usize),
    Compare(CompareOp, f64),
    SameAs(Subject),
    DiffersFrom(Subject),
    InNetworks(Vec<Network>),
    UsesPostalCode(bool),
    /// Whether the country's addresses must have a postal code (some have postal codes that
    /// people may leave out).
    RequiresPostalCode(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scalar {
    Bool(bool),
    Number(f64),
    String(String),
}

/// An IP network in CIDR form, stored as 16 bytes (IPv4 mapped into IPv6) and a prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub addr: [u8; 16],
    pub prefix: u8,
}
