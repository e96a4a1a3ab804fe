use super::*;

// As rustc lays it out: the stack's 1 MiB first, then static data, the slot right after the
// marker; 17 initial pages.
const MARKER_AT: u32 = 1 << 20;
const SLOT_AT: u32 = MARKER_AT + 32;
const PAGES: u64 = 17;

/// A WAT string literal holding `bytes`.
fn literal(bytes: &[u8]) -> String {
    let escaped: String = bytes.iter().map(|b| format!("\\{b:02x}")).collect();
    format!("\"{escaped}\"")
}

fn free_slot() -> String {
    literal(&[pair(MARKER_AT, 32), pair(MARKER_AT, 32)].concat())
}

/// A module laid out like a cipgate runtime: the marker and the free slot followed by more
/// static data in one segment, a second data segment, a passive one and `data.drop` (so there is a DataCount section), custom
/// sections, and the exports a runtime would use to read the image.
fn runtime_with(memory: &str, extra: &str) -> Vec<u8> {
    let wat = format!(
        r#"(module
          (@custom "first" (before first) "kept as is")
          (memory (export "memory") {memory})
          (global $sp (mut i32) (i32.const {MARKER_AT}))
          (func (export "image_len") (result i32) (i32.load (i32.const {len_at})))
          (func (export "image_byte") (param i32) (result i32)
            (i32.load8_u (i32.add (i32.load (i32.const {ptr_at})) (local.get 0))))
          (func (export "forget") (data.drop 2))
          (data (i32.const {MARKER_AT}) {marker} {slot} "more static data after the slot")
          (data (i32.const {other_at}) "other static data")
          (data "passive")
          {extra}
          (@custom "producers-ish" (after data) "also kept")
        )"#,
        other_at = MARKER_AT + 4096,
        len_at = SLOT_AT + 12,
        ptr_at = SLOT_AT + 8,
        marker = literal(SLOT_MARKER),
        slot = free_slot(),
    );
    wat::parse_str(wat).unwrap()
}

fn runtime() -> Vec<u8> {
    runtime_with("17", "")
}

fn image(len: usize) -> Vec<u8> {
    let mut image = b"CIPGIMG\0".to_vec();
    image.extend_from_slice(&1u32.to_le_bytes());
    image.extend_from_slice(&u32::try_from(len).unwrap().to_le_bytes());
    image.extend((16..len).map(|i| (i * 7 % 251) as u8));
    image
}

/// Sections as (id, contents), in order.
fn sections(module: &[u8]) -> Vec<(u8, Vec<u8>)> {
    Parser::new(0)
        .parse_all(module)
        .filter_map(|p| p.unwrap().as_section())
        .map(|(id, r)| (id, module[r.start as usize..r.end as usize].to_vec()))
        .collect()
}

fn memory_type(module: &[u8]) -> wasmparser::MemoryType {
    for payload in Parser::new(0).parse_all(module) {
        if let Payload::MemorySection(reader) = payload.unwrap() {
            return reader.into_iter().next().unwrap().unwrap();
        }
    }
    panic!("no memory section")
}

fn data_count(module: &[u8]) -> Option<u32> {
    Parser::new(0)
        .parse_all(module)
        .find_map(|p| match p.unwrap() {
            Payload::DataCountSection { count, .. } => Some(count),
            _ => None,
        })
}

/// Memory as instantiation leaves it, computed independently of the code under test.
fn initial_memory(module: &[u8]) -> Vec<u8> {
    let mut memory = vec![0; (memory_type(module).initial * PAGE) as usize];
    for payload in Parser::new(0).parse_all(module) {
        if let Payload::DataSection(reader) = payload.unwrap() {
            for data in reader {
                let data = data.unwrap();
                if let DataKind::Active { offset_expr, .. } = data.kind {
                    let Operator::I32Const { value } =
                        offset_expr.get_operators_reader().read().unwrap()
                    else {
                        panic!("non-constant offset")
                    };
                    memory[value as u32 as usize..][..data.data.len()].copy_from_slice(data.data);
                }
            }
        }
    }
    memory
}

fn load_u32(memory: &[u8], at: u32) -> u32 {
    u32::from_le_bytes(memory[at as usize..][..4].try_into().unwrap())
}

/// What the runtime's `embedded_image` (and the `image_len` / `image_byte` exports) would see.
fn runtime_view(module: &[u8]) -> Option<Vec<u8>> {
    let memory = initial_memory(module);
    assert_eq!(load_u32(&memory, SLOT_AT), MARKER_AT);
    assert_eq!(load_u32(&memory, SLOT_AT + 4), 32);
    let (ptr, len) = (
        load_u32(&memory, SLOT_AT + 8),
        load_u32(&memory, SLOT_AT + 12),
    );
    (ptr != MARKER_AT).then(|| memory[ptr as usize..][..len as usize].to_vec())
}

fn validate(module: &[u8]) {
    Validator::new().validate_all(module).unwrap();
}

#[test]
fn places_an_image_and_reads_it_back() {
    let runtime = runtime();
    validate(&runtime);
    assert_eq!(data_count(&runtime), Some(3));
    assert_eq!(runtime_view(&runtime), None);

    let image = image(100);
    let linked = place_image(&runtime, &image).unwrap();
    validate(&linked);
    assert_eq!(read_image(&linked).unwrap(), image.as_slice());
    assert_eq!(runtime_view(&linked), Some(image.clone()));
    assert_eq!(memory_type(&linked).initial, PAGES + 1);
    assert_eq!(data_count(&linked), Some(4));
    // Page-aligned, at the old end of memory.
    let memory = initial_memory(&linked);
    assert_eq!(load_u32(&memory, SLOT_AT + 8), 17 * 65536);
    assert_eq!(load_u32(&memory, SLOT_AT + 12), 100);
}

#[test]
fn keeps_every_other_section_byte_for_byte() {
    let runtime = runtime();
    let linked = place_image(&runtime, &image(100)).unwrap();
    let untouched = |module: &[u8]| -> Vec<(u8, Vec<u8>)> {
        sections(module)
            .into_iter()
            .filter(|(id, _)| ![MEMORY_SECTION, DATA_SECTION, DATA_COUNT_SECTION].contains(id))
            .collect()
    };
    let before = untouched(&runtime);
    assert!(before.iter().filter(|(id, _)| *id == 0).count() >= 2);
    assert_eq!(before, untouched(&linked));
    // Same sections in the same order.
    let ids = |module: &[u8]| {
        sections(module)
            .iter()
            .map(|(id, _)| *id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&runtime), ids(&linked));
    // The original segments are kept too, only the slot's second half changed.
    let (old, new) = (initial_memory(&runtime), initial_memory(&linked));
    assert_eq!(old[..SLOT_AT as usize + 8], new[..SLOT_AT as usize + 8]);
    assert_eq!(
        old[SLOT_AT as usize + 16..],
        new[SLOT_AT as usize + 16..old.len()]
    );
}

#[test]
fn output_is_deterministic() {
    let runtime = runtime();
    let image = image(5000);
    assert_eq!(
        place_image(&runtime, &image).unwrap(),
        place_image(&runtime, &image).unwrap()
    );
}

#[test]
fn refuses_a_second_image() {
    let linked = place_image(&runtime(), &image(100)).unwrap();
    assert_eq!(
        place_image(&linked, &image(100)),
        Err(LinkError::AlreadyHasImage)
    );
}

#[test]
fn a_bare_runtime_has_no_image() {
    assert_eq!(read_image(&runtime()), Err(LinkError::NoImage));
}

#[test]
fn a_large_image_raises_the_page_count() {
    let image = image(200 * 1024);
    let linked = place_image(&runtime(), &image).unwrap();
    validate(&linked);
    // 200 KiB needs 4 more pages.
    assert_eq!(memory_type(&linked).initial, PAGES + 4);
    assert_eq!(memory_type(&linked).maximum, None);
    assert_eq!(read_image(&linked).unwrap(), image.as_slice());
    assert_eq!(runtime_view(&linked), Some(image));
}

#[test]
fn a_maximum_keeps_its_headroom() {
    let linked = place_image(&runtime_with("17 18", ""), &image(200 * 1024)).unwrap();
    validate(&linked);
    let memory = memory_type(&linked);
    assert_eq!((memory.initial, memory.maximum), (21, Some(22)));
}

#[test]
fn refuses_an_image_beyond_4_gib() {
    let runtime = runtime_with("65535", "");
    assert_eq!(
        place_image(&runtime, &image(2 * 65536)),
        Err(LinkError::ImageTooLarge { len: 2 * 65536 })
    );
    // One page still fits.
    let linked = place_image(&runtime, &image(65536)).unwrap();
    assert_eq!(memory_type(&linked).initial, 65536);
}

#[test]
fn refuses_an_empty_image() {
    assert_eq!(place_image(&runtime(), &[]), Err(LinkError::EmptyImage));
}

#[test]
fn works_without_a_data_count_section() {
    let wat = format!(
        r#"(module (memory 17)
             (data (i32.const {MARKER_AT}) {}) (data (i32.const {SLOT_AT}) {}))"#,
        literal(SLOT_MARKER),
        free_slot()
    );
    let runtime = wat::parse_str(wat).unwrap();
    assert_eq!(data_count(&runtime), None);
    let linked = place_image(&runtime, &image(100)).unwrap();
    validate(&linked);
    assert_eq!(data_count(&linked), None);
    assert_eq!(read_image(&linked).unwrap(), image(100).as_slice());
}

#[test]
fn refuses_modules_without_a_slot() {
    let no_marker = wat::parse_str(r#"(module (memory 1) (data (i32.const 0) "hello"))"#).unwrap();
    assert_eq!(place_image(&no_marker, b"x"), Err(LinkError::NoSlot));
    assert_eq!(read_image(&no_marker), Err(LinkError::NoSlot));

    let marker_only = wat::parse_str(format!(
        "(module (memory 17) (data (i32.const {MARKER_AT}) {}))",
        literal(SLOT_MARKER)
    ))
    .unwrap();
    assert_eq!(place_image(&marker_only, b"x"), Err(LinkError::NoSlot));

    let no_memory = wat::parse_str("(module)").unwrap();
    assert_eq!(
        place_image(&no_memory, b"x"),
        Err(LinkError::MemoryCount(0))
    );
}

#[test]
fn refuses_a_repeated_marker() {
    let runtime = runtime_with(
        "17",
        &format!("(data (i32.const 8192) {})", literal(SLOT_MARKER)),
    );
    assert_eq!(
        place_image(&runtime, b"x"),
        Err(LinkError::MarkerRepeated(2))
    );
}

#[test]
fn refuses_a_repeated_slot() {
    let runtime = runtime_with("17", &format!("(data (i32.const 8192) {})", free_slot()));
    assert_eq!(place_image(&runtime, b"x"), Err(LinkError::SlotRepeated(2)));
}

#[test]
fn refuses_an_imported_memory() {
    let wat = format!(
        r#"(module (import "env" "memory" (memory 17))
             (data (i32.const {MARKER_AT}) {}) (data (i32.const {SLOT_AT}) {}))"#,
        literal(SLOT_MARKER),
        free_slot()
    );
    let runtime = wat::parse_str(wat).unwrap();
    assert_eq!(place_image(&runtime, b"x"), Err(LinkError::ImportedMemory));
}

#[test]
fn refuses_data_it_cannot_account_for() {
    // An address from an imported global.
    let wat = format!(
        r#"(module (import "env" "base" (global i32)) (memory 17)
             (data (i32.const {MARKER_AT}) {}) (data (i32.const {SLOT_AT}) {})
             (data (global.get 0) "moved"))"#,
        literal(SLOT_MARKER),
        free_slot()
    );
    let runtime = wat::parse_str(wat).unwrap();
    assert!(matches!(
        place_image(&runtime, b"x"),
        Err(LinkError::UnsupportedDataSegment { index: 2, .. })
    ));

    // A later segment that overwrites the slot.
    let runtime = runtime_with("17", &format!("(data (i32.const {}) \"x\")", SLOT_AT + 9));
    assert!(matches!(
        place_image(&runtime, b"x"),
        Err(LinkError::UnsupportedDataSegment { index: 3, .. })
    ));

    // A segment beyond the initial memory (it would not instantiate).
    let runtime = runtime_with("17", &format!("(data (i32.const {}) \"x\")", PAGES * PAGE));
    assert!(matches!(
        place_image(&runtime, b"x"),
        Err(LinkError::UnsupportedDataSegment { index: 3, .. })
    ));

    // A shared memory (a threads build copies its data at run time).
    let shared = wat::parse_str("(module (memory 1 1 shared))").unwrap();
    assert!(matches!(
        place_image(&shared, b"x"),
        Err(LinkError::UnsupportedMemory(_))
    ));
}

#[test]
fn a_slot_pointing_outside_the_data_is_an_error() {
    let slot = literal(&[pair(MARKER_AT, 32), pair(18 * 65536, 10)].concat());
    let wat = format!(
        "(module (memory 20) (data (i32.const {MARKER_AT}) {}) (data (i32.const {SLOT_AT}) {slot}))",
        literal(SLOT_MARKER)
    );
    let module = wat::parse_str(wat).unwrap();
    assert_eq!(
        read_image(&module),
        Err(LinkError::ImageNotInData {
            address: 18 * 65536,
            len: 10
        })
    );
    assert_eq!(place_image(&module, b"x"), Err(LinkError::AlreadyHasImage));
}

#[test]
fn refuses_what_is_not_a_module() {
    assert!(matches!(
        place_image(b"not wasm", b"x"),
        Err(LinkError::InvalidModule(_))
    ));
    let component = wat::parse_str("(component)").unwrap();
    assert_eq!(read_image(&component), Err(LinkError::NotACoreModule));
}

#[test]
fn errors_read_as_sentences() {
    let message = LinkError::NoSlot.to_string();
    assert!(message.contains("no policy image slot"), "{message}");
    let message = LinkError::UnsupportedDataSegment {
        index: 3,
        reason: "overwrites the policy image slot or image",
    }
    .to_string();
    assert!(
        message.starts_with("data segment 3 of the module overwrites"),
        "{message}"
    );
}
