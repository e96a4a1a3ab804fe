//! Writes a compiled policy image into a copy of a prebuilt cipgate runtime module (Envoy
//! filter or browser module), and reads it back, so `cipgate build` needs no compiler
//! toolchain. The runtime finds the image through a slot in its static data (see [`SLOT_MARKER`]).

use std::fmt;
use std::ops::Range;

use wasm_encoder::{ConstExpr, DataCountSection, DataSection, MemorySection, Section as _};
use wasmparser::{DataKind, Encoding, Operator, Parser, Payload, TypeRef, Validator, WasmFeatures};

/// 32 bytes that occur once in a runtime's data; the linker finds the slot through them.
///
/// The runtimes compile in the slot of `cipgate_policy::image`: in memory
/// `#[repr(C)] struct { marker: &[u8], image: &[u8] }`, i.e. on wasm32 the 16 bytes
/// `[A, 32, A, 32]` (u32 LE each) where A is the marker's address; a placed image turns the
/// second half into `[address, length]` of the image.
pub use cipgate_policy::image::SLOT_MARKER;

const PAGE: u64 = 65536;
/// 4 GiB, the most a 32-bit memory can have.
const MAX_PAGES: u64 = 65536;
const MARKER_LEN: u32 = 32;
const SLOT_LEN: u64 = 16;

const MEMORY_SECTION: u8 = 5;
const DATA_SECTION: u8 = 11;
const DATA_COUNT_SECTION: u8 = 12;

/// Why a module could not be linked or read. The messages are meant for the person running
/// `cipgate build` or `cipgate check --module`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkError {
    /// wasmparser rejected the module (its message).
    InvalidModule(String),
    /// A component or other non-module binary.
    NotACoreModule,
    ImportedMemory,
    MemoryCount(usize),
    /// The memory is 64-bit, shared or has a custom page size.
    UnsupportedMemory(&'static str),
    /// A data segment writes memory in a way the linker cannot account for.
    UnsupportedDataSegment {
        index: usize,
        reason: &'static str,
    },
    /// No marker, or a marker with no slot pointing at it.
    NoSlot,
    MarkerRepeated(usize),
    SlotRepeated(usize),
    AlreadyHasImage,
    NoImage,
    EmptyImage,
    ImageTooLarge {
        len: usize,
    },
    /// The slot points at bytes no single data segment holds.
    ImageNotInData {
        address: u32,
        len: u32,
    },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidModule(e) => write!(f, "the module is not valid WebAssembly: {e}"),
            Self::NotACoreModule => f.write_str(
                "the file is a WebAssembly component, not a core module; cipgate runtimes are core modules",
            ),
            Self::ImportedMemory => f.write_str(
                "the module imports its memory; cipgate runtimes define their own, so this is not one",
            ),
            Self::MemoryCount(n) => write!(
                f,
                "the module has {n} memories; a cipgate runtime has exactly one"
            ),
            Self::UnsupportedMemory(what) => write!(
                f,
                "the module's memory is {what}; cipgate runtimes use one plain 32-bit memory"
            ),
            Self::UnsupportedDataSegment { index, reason } => write!(
                f,
                "data segment {index} of the module {reason}, so the policy image cannot be placed or read safely"
            ),
            Self::NoSlot => f.write_str(
                "the runtime module has no policy image slot; was it built from the cipgate runtime crates?",
            ),
            Self::MarkerRepeated(n) => write!(
                f,
                "the policy image slot marker occurs {n} times in the module's data; expected once (was the runtime built from a patched or duplicated crate?)"
            ),
            Self::SlotRepeated(n) => write!(
                f,
                "the module has {n} policy image slots; expected exactly one"
            ),
            Self::AlreadyHasImage => f.write_str(
                "the runtime module already holds a policy image; start from the unmodified runtime module",
            ),
            Self::NoImage => f.write_str(
                "the module holds no policy image (it is a bare runtime); make one with `cipgate build`",
            ),
            Self::EmptyImage => f.write_str("the policy image is empty"),
            Self::ImageTooLarge { len } => write!(
                f,
                "the policy image ({len} bytes) does not fit in the runtime's 4 GiB address space"
            ),
            Self::ImageNotInData { address, len } => write!(
                f,
                "the module's policy image slot points at {len} bytes at address {address:#x} that no data segment holds; the module is damaged"
            ),
        }
    }
}

impl std::error::Error for LinkError {}

/// Returns a copy of `runtime` with `image` placed in it: one more data segment holding the
/// image above all existing memory, the memory's minimum raised to hold it, and the slot
/// pointed at it. Every other section is copied byte for byte. Deterministic.
pub fn place_image(runtime: &[u8], image: &[u8]) -> Result<Vec<u8>, LinkError> {
    let module = parse(runtime)?;
    let slot = find_slot(&module)?;
    if slot.image != (slot.marker, MARKER_LEN) {
        return Err(LinkError::AlreadyHasImage);
    }
    if image.is_empty() {
        return Err(LinkError::EmptyImage);
    }
    let too_large = LinkError::ImageTooLarge { len: image.len() };
    let len = u32::try_from(image.len()).map_err(|_| too_large.clone())?;
    let pages = u64::from(len).div_ceil(PAGE);
    let old_pages = module.memory.initial;
    let minimum = old_pages + pages;
    if minimum > MAX_PAGES {
        return Err(too_large);
    }
    // Page-aligned and at the old end of memory: above all static data and the heap's start.
    // The allocators (Rust's dlmalloc, wasi-libc's) get more memory only through memory.grow,
    // which now starts above the image.
    let address = u32::try_from(old_pages * PAGE).map_err(|_| too_large)?;
    for (index, segment) in module.segments.iter().enumerate() {
        if let Some(start) = segment.address {
            if u64::from(start) + segment.data.len() as u64 > u64::from(address) {
                return Err(LinkError::UnsupportedDataSegment {
                    index,
                    reason: "lies beyond the memory's initial size",
                });
            }
        }
    }
    // Keep the heap's headroom: the image takes pages the heap could have grown into.
    let maximum = module
        .memory
        .maximum
        .map(|max| (max + pages).min(MAX_PAGES));

    let mut patched = runtime.to_vec();
    patched
        .get_mut(slot.position + 8..slot.position + 16)
        .ok_or_else(out_of_bounds)?
        .copy_from_slice(&pair(address, len));

    let mut out = Vec::with_capacity(runtime.len() + image.len() + 64);
    out.extend_from_slice(runtime.get(..8).ok_or_else(out_of_bounds)?);
    for (id, range) in &module.sections {
        match *id {
            MEMORY_SECTION => {
                let mut memories = MemorySection::new();
                memories.memory(wasm_encoder::MemoryType {
                    minimum,
                    maximum,
                    memory64: false,
                    shared: false,
                    page_size_log2: module.memory.page_size_log2,
                });
                memories.append_to(&mut out);
            }
            DATA_SECTION => {
                let mut data = DataSection::new();
                for segment in &module.segments {
                    data.raw(
                        patched
                            .get(segment.encoded.clone())
                            .ok_or_else(out_of_bounds)?,
                    );
                }
                // i32.const takes the address's bits as a signed number.
                data.active(
                    0,
                    &ConstExpr::i32_const(address as i32),
                    image.iter().copied(),
                );
                data.append_to(&mut out);
            }
            DATA_COUNT_SECTION => {
                let count =
                    u32::try_from(module.segments.len() + 1).map_err(|_| out_of_bounds())?;
                DataCountSection { count }.append_to(&mut out);
            }
            _ => out.extend_from_slice(patched.get(range.clone()).ok_or_else(out_of_bounds)?),
        }
    }
    Ok(out)
}

/// Returns the policy image a module holds, as the runtime would find it: the bytes the slot
/// points at, which must all come from one data segment that nothing else overwrites.
pub fn read_image(module: &[u8]) -> Result<&[u8], LinkError> {
    let parsed = parse(module)?;
    let slot = find_slot(&parsed)?;
    let (address, len) = slot.image;
    if slot.image == (slot.marker, MARKER_LEN) {
        return Err(LinkError::NoImage);
    }
    if len == 0 {
        return Err(LinkError::EmptyImage);
    }
    let wanted = u64::from(address)..u64::from(address) + u64::from(len);
    for (index, segment) in parsed.segments.iter().enumerate() {
        let Some(start) = segment.address.map(u64::from) else {
            continue;
        };
        if start <= wanted.start && wanted.end <= start + segment.data.len() as u64 {
            sole_writer(&parsed, index, &wanted)?;
            let from = usize::try_from(wanted.start - start).map_err(|_| out_of_bounds())?;
            return segment
                .data
                .get(from..from + len as usize)
                .ok_or_else(out_of_bounds);
        }
    }
    Err(LinkError::ImageNotInData { address, len })
}

struct Segment<'a> {
    /// Where instantiation copies the bytes; `None` for a passive segment.
    address: Option<u32>,
    data: &'a [u8],
    /// The whole encoded segment within the module.
    encoded: Range<usize>,
}

struct Module<'a> {
    /// Every section with its id, header included, in order.
    sections: Vec<(u8, Range<usize>)>,
    memory: wasmparser::MemoryType,
    segments: Vec<Segment<'a>>,
}

struct Slot {
    /// Offset of the slot's first byte within the module file.
    position: usize,
    marker: u32,
    /// The slot's second half: (address, length).
    image: (u32, u32),
}

fn parse(bytes: &[u8]) -> Result<Module<'_>, LinkError> {
    if let Some(Ok(Payload::Version { encoding, .. })) = Parser::new(0).parse_all(bytes).next() {
        if encoding != Encoding::Module {
            return Err(LinkError::NotACoreModule);
        }
    }
    // Any feature is fine: the linker only needs the module to be well formed.
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .map_err(invalid)?;
    let mut sections = Vec::new();
    let mut memories = Vec::new();
    let mut segments = Vec::new();
    // Each section runs from the previous one's end (so its id and size bytes are kept as
    // they are) to the end of its contents.
    let mut end = 0;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(invalid)?;
        match &payload {
            Payload::Version { range, .. } => end = span(range.clone())?.end,
            Payload::ImportSection(reader) => {
                for import in reader.clone().into_imports() {
                    if let TypeRef::Memory(_) = import.map_err(invalid)?.ty {
                        return Err(LinkError::ImportedMemory);
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader.clone() {
                    memories.push(memory.map_err(invalid)?);
                }
            }
            Payload::DataSection(reader) => {
                for (index, data) in reader.clone().into_iter().enumerate() {
                    segments.push(segment(index, data.map_err(invalid)?)?);
                }
            }
            _ => {}
        }
        if let Some((id, range)) = payload.as_section() {
            let range = span(range)?;
            sections.push((id, end..range.end));
            end = range.end;
        }
    }
    let memory = match memories.as_slice() {
        [memory] => *memory,
        other => return Err(LinkError::MemoryCount(other.len())),
    };
    if memory.memory64 {
        return Err(LinkError::UnsupportedMemory("64-bit"));
    }
    if memory.shared {
        return Err(LinkError::UnsupportedMemory("shared (a threads build)"));
    }
    if memory.page_size_log2.is_some_and(|log2| log2 != 16) {
        return Err(LinkError::UnsupportedMemory("of a custom page size"));
    }
    Ok(Module {
        sections,
        memory,
        segments,
    })
}

fn segment(index: usize, data: wasmparser::Data<'_>) -> Result<Segment<'_>, LinkError> {
    let address = match &data.kind {
        DataKind::Passive => None,
        DataKind::Active {
            memory_index: 0,
            offset_expr,
        } => {
            let mut ops = offset_expr.get_operators_reader();
            match (ops.read(), ops.read()) {
                // Addresses are unsigned; i32.const holds their bits.
                (Ok(Operator::I32Const { value }), Ok(Operator::End)) if ops.eof() => {
                    Some(value as u32)
                }
                _ => {
                    return Err(LinkError::UnsupportedDataSegment {
                        index,
                        reason: "has an address computed at run time",
                    })
                }
            }
        }
        DataKind::Active { .. } => {
            return Err(LinkError::UnsupportedDataSegment {
                index,
                reason: "writes another memory",
            })
        }
    };
    Ok(Segment {
        address,
        data: data.data,
        encoded: span(data.range)?,
    })
}

/// Finds the slot `[A, 32, x, y]` (4-aligned, as the struct is) where A is the marker's address.
fn find_slot(module: &Module<'_>) -> Result<Slot, LinkError> {
    let marker = marker_address(module)?;
    let head = pair(marker, MARKER_LEN);
    let mut slots: Vec<(usize, u64, usize, (u32, u32))> = Vec::new();
    for (index, segment) in module.segments.iter().enumerate() {
        let Some(start) = segment.address else {
            continue;
        };
        for (at, window) in segment.data.windows(SLOT_LEN as usize).enumerate() {
            let address = u64::from(start) + at as u64;
            // A free slot's second half looks like a slot's first half too.
            let second_half = slots.last().is_some_and(|&(i, a, _, image)| {
                i == index && a + 8 == address && image == (marker, MARKER_LEN)
            });
            if address % 4 == 0 && window.starts_with(&head) && !second_half {
                let image = window
                    .get(8..)
                    .and_then(read_pair)
                    .ok_or_else(out_of_bounds)?;
                // The segment's bytes end its encoding.
                let data_start = segment.encoded.end - segment.data.len();
                slots.push((index, address, data_start + at, image));
            }
        }
    }
    match slots.as_slice() {
        [] => Err(LinkError::NoSlot),
        [(index, address, position, image)] => {
            // The runtime sees what instantiation leaves there, so nothing may overwrite it.
            sole_writer(module, *index, &(*address..address + SLOT_LEN))?;
            Ok(Slot {
                position: *position,
                marker,
                image: *image,
            })
        }
        more => Err(LinkError::SlotRepeated(more.len())),
    }
}

fn marker_address(module: &Module<'_>) -> Result<u32, LinkError> {
    let mut found = Vec::new();
    for (index, segment) in module.segments.iter().enumerate() {
        for (at, window) in segment.data.windows(SLOT_MARKER.len()).enumerate() {
            if *window == *SLOT_MARKER {
                found.push((index, segment.address, at));
            }
        }
    }
    match found.as_slice() {
        [] => Err(LinkError::NoSlot),
        [(_, Some(start), at)] => u32::try_from(*at)
            .ok()
            .and_then(|at| start.checked_add(at))
            .ok_or_else(out_of_bounds),
        [(index, None, _)] => Err(LinkError::UnsupportedDataSegment {
            index: *index,
            reason: "holds the policy image slot marker but is passive (copied at run time)",
        }),
        more => Err(LinkError::MarkerRepeated(more.len())),
    }
}

/// Refuses if an active segment other than `owner` writes any byte of `range`.
fn sole_writer(module: &Module<'_>, owner: usize, range: &Range<u64>) -> Result<(), LinkError> {
    for (index, segment) in module.segments.iter().enumerate() {
        let Some(start) = segment.address.map(u64::from) else {
            continue;
        };
        let end = start + segment.data.len() as u64;
        if index != owner && start < range.end && range.start < end {
            return Err(LinkError::UnsupportedDataSegment {
                index,
                reason: "overwrites the policy image slot or image",
            });
        }
    }
    Ok(())
}

/// A `&[u8]` on wasm32: pointer then length, u32 LE each.
fn pair(address: u32, len: u32) -> [u8; 8] {
    (u64::from(address) | (u64::from(len) << 32)).to_le_bytes()
}

fn read_pair(bytes: &[u8]) -> Option<(u32, u32)> {
    let value = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    Some((value as u32, (value >> 32) as u32))
}

fn span(range: Range<u64>) -> Result<Range<usize>, LinkError> {
    match (usize::try_from(range.start), usize::try_from(range.end)) {
        (Ok(start), Ok(end)) => Ok(start..end),
        _ => Err(out_of_bounds()),
    }
}

fn invalid(e: wasmparser::BinaryReaderError) -> LinkError {
    LinkError::InvalidModule(e.to_string())
}

/// Cannot happen for a module wasmparser accepted; an error rather than a panic all the same.
fn out_of_bounds() -> LinkError {
    LinkError::InvalidModule("a section or data segment lies outside the file".to_owned())
}

#[cfg(test)]
mod tests;
