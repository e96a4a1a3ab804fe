//! The policy image: the compiled policy as runtimes carry it. A compact binary form, written
//! by the compiler and read by every runtime, checked once at load (checksum, every index,
//! every type, every DFA) so that the evaluator never meets a reference it cannot follow.
//!
//! Layout (all integers little-endian; `var` is unsigned LEB128, at most 32 bits, minimal):
//!
//! ```text
//! header   magic "CIPGIMG\0" | format u32 | length u32 (whole image) | sha256 of the body
//! body     sections, each once and in this order: tag u8 | length u32 | payload
//!          1 strings  2 meta  3 input  4 fields  5 lists  6 patterns  7 conditions
//!          8 rules  9 postal codes
//! ```
//!
//! Strings are stored once and referred to by index. Patterns and postal-code formats are
//! DFAs ([`crate::dfa`]); the postal section is present only in policies that read postal
//! codes. The policy's sha256 (in every decision) is the sha256 of the whole image, i.e. of
//! the `.cpi` file that `cipgate compile --emit` writes.

mod decode;
#[cfg(feature = "compiler")]
mod encode;
#[cfg(feature = "compiler")]
mod project;
mod slot;
mod validate;

pub(crate) use decode::{decode, PostalFormat};
#[cfg(feature = "compiler")]
pub(crate) use encode::encode;
#[cfg(feature = "compiler")]
pub use project::project_for_browser;
pub use slot::{embedded_image, SLOT_MARKER};
#[cfg(feature = "compiler")]
pub(crate) use validate::{named_facts_only, reads_elements, reads_facts_only};

use std::fmt;

pub const MAGIC: &[u8; 8] = b"CIPGIMG\0";
/// Version of the image format; runtimes refuse images of other versions.
pub const FORMAT: u32 = 5;
pub const HEADER_LEN: usize = 48;
/// Deepest nesting of conditions an image may hold; the decoder recurses this far at most.
pub const MAX_CONDITION_DEPTH: usize = 48;

/// The sections of an image, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Strings = 1,
    Meta = 2,
    Input = 3,
    Fields = 4,
    Lists = 5,
    Patterns = 6,
    Conditions = 7,
    Rules = 8,
    PostalCodes = 9,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Strings,
        Section::Meta,
        Section::Input,
        Section::Fields,
        Section::Lists,
        Section::Patterns,
        Section::Conditions,
        Section::Rules,
        Section::PostalCodes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Section::Strings => "strings",
            Section::Meta => "meta",
            Section::Input => "input",
            Section::Fields => "fields",
            Section::Lists => "lists",
            Section::Patterns => "patterns",
            Section::Conditions => "conditions",
            Section::Rules => "rules",
            Section::PostalCodes => "postal codes",
        }
    }
}

/// Why an image was refused. A runtime that gets one fails closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The runtime module holds no image (it was not written by `cipgate build`).
    NoImage,
    /// The bytes do not start with the image magic (a JSON compiled form of cipgate 0.1, a
    /// module, or anything else).
    NotAnImage,
    UnknownFormat(u32),
    /// The header's length is not the number of bytes given.
    Length {
        declared: u64,
        actual: usize,
    },
    /// The body's sha256 is not the one in the header: the image was damaged.
    Checksum,
    /// A section could not be read.
    Malformed {
        section: &'static str,
        reason: String,
    },
    /// The image reads, but refers to something that does not exist or does not fit.
    Invalid(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NoImage => f.write_str(
                "this runtime module holds no policy image; build it with `cipgate build`",
            ),
            LoadError::NotAnImage => f.write_str("not a cipgate policy image (bad magic)"),
            LoadError::UnknownFormat(v) => write!(
                f,
                "the policy image has format {v}; this runtime reads format {FORMAT}"
            ),
            LoadError::Length { declared, actual } => write!(
                f,
                "the policy image says it is {declared} bytes long but {actual} bytes were given"
            ),
            LoadError::Checksum => {
                f.write_str("the policy image is damaged (its checksum does not match)")
            }
            LoadError::Malformed { section, reason } => {
                write!(
                    f,
                    "the policy image's {section} section is malformed: {reason}"
                )
            }
            LoadError::Invalid(why) => write!(f, "the policy image is invalid: {why}"),
        }
    }
}

impl std::error::Error for LoadError {}

#[cfg(all(test, feature = "compiler"))]
mod tests;
