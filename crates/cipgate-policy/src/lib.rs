//! The cipgate policy core: the policy language's compiler, its compiled form, and the
//! evaluator that every runtime (Envoy filter, browser module, CLI) calls.
//!
//! No I/O and no panics: runtimes hand in bytes and facts and get a [`Decision`] back.
//!
//! ```
//! # #[cfg(feature = "compiler")] {
//! use cipgate_policy::{compile, GatewayFacts, SignupRequest};
//! let source = std::fs::read_to_string("../../policies/us-iaas-cip.yaml").unwrap();
//! let compiled = compile("us-iaas-cip.yaml", &source).unwrap();
//! let decision = compiled.policy.evaluate(&SignupRequest {
//!     body: br#"{"customer": {"kind": "individual"}}"#,
//!     content_type: Some("application/json"),
//!     facts: &GatewayFacts::default(),
//! });
//! assert_eq!(decision.outcome.as_str(), "incomplete");
//! # }
//! ```

#[cfg(feature = "compiler")]
pub mod compile;
pub mod decision;
pub mod dfa;
pub mod document;
mod eval;
pub mod formats;
pub mod html;
pub mod image;
pub mod ir;
mod json_text;
pub mod locale;
mod policy;
pub mod query;
pub mod screening;
mod sort;
pub mod tables;
pub mod value;
mod weighted;

#[cfg(feature = "compiler")]
pub use compile::{compile, compile_with, Compiled, Diagnostic, Diagnostics, ListFiles};
pub use decision::{Code, Decision, Outcome, PolicyRef, RejectReason, Violation};
pub use json_text::{
    write_array as write_json_array, write_key as write_json_key, write_str as write_json_string,
    write_u64 as write_json_u64, write_u64_padded as write_json_u64_padded,
};
pub use policy::{CompiledPolicy, GatewayFacts, LoadError, SignupRequest};
