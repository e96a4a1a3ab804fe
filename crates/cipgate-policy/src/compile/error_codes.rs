//! The stable code of every compiler diagnostic: what CI and editors match on, while the
//! message itself may be reworded. docs/policy-language.md lists them.

/// One kind of mistake in a policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Yaml,
    YamlFeature,
    DuplicateKey,
    EmptyFile,
    WrongShape,
    UnknownKey,
    MissingKey,
    Empty,
    UnknownWord,
    ConditionForm,
    OutOfRange,
    Unsupported,
    UnknownName,
    DuplicateName,
    BadName,
    OutOfScope,
    Cycle,
    TypeMismatch,
    NeverTrue,
    NotACode,
    Pattern,
    BadValue,
    Overlap,
    Locale,
    Message,
    ListFile,
    NamesList,
    RuleUnclear,
    Internal,
}

/// Every code, its text and its one-line explanation, in code order.
pub const ERROR_CODES: &[(ErrorCode, &str, &str)] = &[
    (ErrorCode::Yaml, "E0101", "the file is not valid YAML"),
    (
        ErrorCode::YamlFeature,
        "E0102",
        "a YAML feature policies leave out: anchors, aliases, tags, a second document, keys that are not single values",
    ),
    (ErrorCode::DuplicateKey, "E0103", "a key written twice in one mapping"),
    (ErrorCode::EmptyFile, "E0104", "the policy file is empty"),
    (
        ErrorCode::WrongShape,
        "E0201",
        "a value of the wrong shape: a mapping, a list, a single value, true/false or a number was expected",
    ),
    (ErrorCode::UnknownKey, "E0202", "a key that does not belong where it is written"),
    (
        ErrorCode::MissingKey,
        "E0203",
        "something the policy, a field, a list, an entry or a rule must have is missing",
    ),
    (ErrorCode::Empty, "E0204", "a value or a list that must not be empty is empty"),
    (
        ErrorCode::UnknownWord,
        "E0205",
        "a word outside its closed vocabulary: an outcome, a code, a fact, a field type, a format, a list type, a content type, the language version",
    ),
    (
        ErrorCode::ConditionForm,
        "E0206",
        "a condition that is not one subject with one test, or one combinator",
    ),
    (ErrorCode::OutOfRange, "E0207", "a number outside the range its key allows"),
    (ErrorCode::Unsupported, "E0208", "a construction the language does not have (a list inside a list)"),
    (
        ErrorCode::UnknownName,
        "E0301",
        "a name that is not declared: a field, a list, a named condition",
    ),
    (ErrorCode::DuplicateName, "E0302", "a field or a rule id declared twice"),
    (
        ErrorCode::BadName,
        "E0303",
        "an id, a field name, a form key or a JSON pointer with characters it cannot have, or reserved",
    ),
    (
        ErrorCode::OutOfScope,
        "E0304",
        "a field of a list's elements used where no element is in scope",
    ),
    (ErrorCode::Cycle, "E0305", "a named condition that refers to itself"),
    (
        ErrorCode::TypeMismatch,
        "E0401",
        "a test, a value or a format applied to what cannot hold it",
    ),
    (
        ErrorCode::NeverTrue,
        "E0402",
        "a condition that can never be true, a rule that can never fire, a score that never acts",
    ),
    (ErrorCode::NotACode, "E0501", "not an ISO 3166-1 country code or ISO 3166-2 subdivision code"),
    (
        ErrorCode::Pattern,
        "E0502",
        "a pattern that does not compile to a DFA without Unicode tables",
    ),
    (
        ErrorCode::BadValue,
        "E0503",
        "a date, a network, a postal-code entry, a telephone prefix or a listed name cipgate cannot read",
    ),
    (ErrorCode::Overlap, "E0504", "list entries that cover some of each other's codes"),
    (
        ErrorCode::Locale,
        "E0601",
        "a locale that is not a language, is listed twice, or that cipgate has no texts in",
    ),
    (ErrorCode::Message, "E0602", "a message not given in exactly the policy's locales"),
    (ErrorCode::ListFile, "E0701", "a list file that cannot be read or has errors"),
    (
        ErrorCode::NamesList,
        "E0702",
        "a names list's key on another list, or a names list with both or neither of `source` and `entries`",
    ),
    (
        ErrorCode::RuleUnclear,
        "E0801",
        "a rule that would fire on every signup, or does not say which field it is about",
    ),
    (
        ErrorCode::Internal,
        "E0901",
        "the compiler could not write or load the image: a limit or a bug, not a mistake in the policy",
    ),
];

impl ErrorCode {
    /// `E0202` and so on.
    pub fn as_str(self) -> &'static str {
        ERROR_CODES
            .iter()
            .find(|(code, _, _)| *code == self)
            .map_or("E0901", |(_, text, _)| text)
    }

    pub fn explanation(self) -> &'static str {
        ERROR_CODES
            .iter()
            .find(|(code, _, _)| *code == self)
            .map_or("", |(_, _, text)| text)
    }
}
