//! The stable code of every compiler diagnostic: what CI and editors match on, while the
//! message itself may be reworded. docs/policy-language.md lists them.

/// One table makes the enum, `ERROR_CODES` and both lookups, so a new kind of mistake
/// cannot be left without its code.
macro_rules! error_codes {
    ($($variant:ident $code:literal $explanation:literal,)*) => {
        /// One kind of mistake in a policy file.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant,)*
        }

        /// Every code, its text and its one-line explanation, in code order.
        pub const ERROR_CODES: &[(ErrorCode, &str, &str)] =
            &[$((ErrorCode::$variant, $code, $explanation),)*];

        impl ErrorCode {
            /// `E0202` and so on.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            pub fn explanation(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $explanation,)*
                }
            }
        }
    };
}

error_codes! {
    Yaml "E0101"
        "the file is not valid YAML",
    YamlFeature "E0102"
        "a YAML feature policies leave out: anchors, aliases, tags, a second document, keys that are not single values",
    DuplicateKey "E0103"
        "a key written twice in one mapping",
    EmptyFile "E0104"
        "the policy file is empty",
    WrongShape "E0201"
        "a value of the wrong shape: a mapping, a list, a single value, true/false or a number was expected",
    UnknownKey "E0202"
        "a key that does not belong where it is written",
    MissingKey "E0203"
        "something the policy, a field, a list, an entry or a rule must have is missing",
    Empty "E0204"
        "a value or a list that must not be empty is empty",
    UnknownWord "E0205"
        "a word outside its closed vocabulary: an outcome, a code, a fact, a field type, a format, a list type, a content type, the language version",
    ConditionForm "E0206"
        "a condition that is not one subject with one test, or one combinator",
    OutOfRange "E0207"
        "a number outside the range its key allows",
    Unsupported "E0208"
        "a construction the language does not have (a list inside a list)",
    UnknownName "E0301"
        "a name that is not declared: a field, a list, a named condition",
    DuplicateName "E0302"
        "a field or a rule id declared twice",
    BadName "E0303"
        "an id, a field name, a form key or a JSON pointer with characters it cannot have, or reserved",
    OutOfScope "E0304"
        "a field of a list's elements used where no element is in scope",
    Cycle "E0305"
        "a named condition that refers to itself",
    TypeMismatch "E0401"
        "a test, a value or a format applied to what cannot hold it",
    NeverTrue "E0402"
        "a condition that can never be true, a rule that can never fire, a score that never acts",
    NotACode "E0501"
        "not an ISO 3166-1 country code or ISO 3166-2 subdivision code",
    Pattern "E0502"
        "a pattern that does not compile to a DFA without Unicode tables",
    BadValue "E0503"
        "a date, a network, a postal-code entry, a telephone prefix or a listed name cipgate cannot read",
    Overlap "E0504"
        "list entries that cover some of each other's codes",
    Locale "E0601"
        "a locale that is not a language, is listed twice, or that cipgate has no texts in",
    Message "E0602"
        "a message not given in exactly the policy's locales",
    ListFile "E0701"
        "a list file that cannot be read or has errors",
    NamesList "E0702"
        "a names list's key on another list, or a names list with both or neither of `source` and `entries`",
    RuleUnclear "E0801"
        "a rule that would fire on every signup, or does not say which field it is about",
    Internal "E0901"
        "the compiler could not write or load the image: a limit or a bug, not a mistake in the policy",
}
