//! Policy images as a runtime receives them. Input layout: one byte picks the mode, the rest
//! is an image (the seeds are the default policy's image, `dist/us-iaas-cip.cpi`).
//!
//! - Even mode byte: the bytes as they are. The checksum guards them, so an image that loads
//!   must be the default image itself and decide every example as it does.
//! - Odd mode byte: the checksum is rewritten first, so the damage reaches the section readers
//!   and the validator. Loading must not panic; an image that loads must decide every example
//!   without panicking and consistently (the outcome follows from the violations, every rule
//!   is one the image declares).

#![no_main]

use cipgate_fuzz::{default_image, default_policy, examples, facts};
use cipgate_policy::{CompiledPolicy, Outcome, SignupRequest};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

/// Bytes 16..48 of the header hold the sha256 of everything after byte 48.
const HEADER_LEN: usize = 48;

fuzz_target!(|data: &[u8]| {
    let [mode, image @ ..] = data else {
        return;
    };
    let mut image = image.to_vec();
    let resealed = mode % 2 == 1;
    if resealed && image.len() >= HEADER_LEN {
        let digest = Sha256::digest(&image[HEADER_LEN..]);
        image[16..HEADER_LEN].copy_from_slice(&digest);
    }
    let Ok(loaded) = CompiledPolicy::load(&image) else {
        return;
    };
    let original = default_policy();
    if !resealed {
        assert_eq!(image, default_image(), "a damaged image loaded");
    }
    let known = loaded.rule_ids();
    for (n, (body, content_type)) in examples().iter().enumerate() {
        let facts = facts(u8::try_from(n % 256).unwrap_or(0));
        let request = SignupRequest {
            body,
            content_type: Some(content_type),
            facts: &facts,
        };
        let decision = loaded.evaluate(&request);
        let strongest = decision.violations.iter().map(|v| v.outcome).max();
        assert_eq!(decision.outcome, strongest.unwrap_or(Outcome::Allow));
        for violation in &decision.violations {
            assert!(known.contains(&violation.rule.as_ref()), "{violation:?}");
        }
        if !resealed {
            assert_eq!(decision, original.evaluate(&request));
        }
    }
});
