//! Where a prebuilt runtime module finds its policy image. `cipgate build` copies the image
//! into the module as a data segment of its own and points the slot at it (crate
//! `cipgate-link`), so the runtime's code is the same bytes for every policy.

/// 32 bytes that occur once in a runtime's data; the linker finds the slot through them.
pub const SLOT_MARKER: &[u8; 32] = b"cipgate:policy-image-slot:v1\0\0\0\0";

/// Two slices side by side: `marker` always points at [`SLOT_MARKER`], so the linker can
/// find the slot (and read an image back); `image` is what it rewrites.
#[repr(C)]
struct ImageSlot {
    marker: &'static [u8],
    image: &'static [u8],
}

/// A static, not a constant, so that both halves point at one address.
static MARKER: [u8; 32] = *SLOT_MARKER;

static IMAGE_SLOT: ImageSlot = ImageSlot {
    marker: &MARKER,
    image: &MARKER,
};

/// The policy image placed in this module by `cipgate build`, or `None` for a runtime that
/// holds none (and for native builds, which load images from files).
pub fn embedded_image() -> Option<&'static [u8]> {
    // The slot is rewritten in the module after compilation: `black_box` keeps the compiler
    // from folding the load into the initial value. Were it folded anyway, the runtime would
    // see no image and refuse to start, never run without a policy.
    let slot: &ImageSlot = core::hint::black_box(&IMAGE_SLOT);
    let image = slot.image;
    (image.as_ptr() != slot.marker.as_ptr()).then_some(image)
}
