//! The proxy-wasm wire formats (header maps, property paths) and guest memory access. Every
//! read of guest memory or guest-built bytes is bounds-checked: a broken module gets a trap
//! with a message, never a panic of the harness.

use crate::host::HostState;
use wasmtime::{format_err, Caller, Result};

/// Header or trailer pairs as the host keeps them: lower-case names, byte values.
pub(crate) type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

/// The ABI's map encoding: `u32` count, then `u32` key and value sizes per pair, then every
/// key and value followed by a NUL byte. All integers little-endian.
pub(crate) fn serialize_map(pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<u8>> {
    let size = pairs
        .iter()
        .fold(4, |size, (k, v)| size + 8 + k.len() + v.len() + 2);
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&u32_len(pairs.len())?.to_le_bytes());
    for (key, value) in pairs {
        out.extend_from_slice(&u32_len(key.len())?.to_le_bytes());
        out.extend_from_slice(&u32_len(value.len())?.to_le_bytes());
    }
    for (key, value) in pairs {
        out.extend_from_slice(key);
        out.push(0);
        out.extend_from_slice(value);
        out.push(0);
    }
    Ok(out)
}

/// Decodes a map the guest built; `None` when it is malformed.
pub(crate) fn deserialize_map(bytes: &[u8]) -> Option<Pairs> {
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let count = usize::try_from(read_u32(bytes, 0)?).ok()?;
    let mut data = count.checked_mul(8)?.checked_add(4)?;
    let mut pairs = Vec::with_capacity(count.min(1024));
    for n in 0..count {
        let sizes = 4 + n * 8;
        let key_len = usize::try_from(read_u32(bytes, sizes)?).ok()?;
        let value_len = usize::try_from(read_u32(bytes, sizes + 4)?).ok()?;
        let key = bytes.get(data..data.checked_add(key_len)?)?.to_vec();
        data = data.checked_add(key_len + 1)?;
        let value = bytes.get(data..data.checked_add(value_len)?)?.to_vec();
        data = data.checked_add(value_len + 1)?;
        pairs.push((key, value));
    }
    Some(pairs)
}

/// A property path arrives as its segments joined by NUL bytes.
pub(crate) fn property_path(bytes: &[u8]) -> Vec<String> {
    if bytes.is_empty() {
        return Vec::new();
    }
    bytes
        .split(|b| *b == 0)
        .map(|segment| String::from_utf8_lossy(segment).into_owned())
        .collect()
}

/// Header names are case-insensitive; Envoy stores and looks them up in lower case.
pub(crate) fn lower(name: &[u8]) -> Vec<u8> {
    name.to_ascii_lowercase()
}

pub(crate) fn to_pairs(pairs: &[(String, String)]) -> Pairs {
    pairs
        .iter()
        .map(|(k, v)| (lower(k.as_bytes()), v.as_bytes().to_vec()))
        .collect()
}

pub(crate) fn from_pairs(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect()
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(raw))
}

fn u32_len(len: usize) -> Result<u32> {
    u32::try_from(len).map_err(|_| format_err!("{len} bytes do not fit a 32-bit guest"))
}

/// Guest pointers and sizes are `i32` on the wire; they are unsigned in meaning.
fn addr(value: i32) -> usize {
    value as u32 as usize
}

/// Copies `len` bytes at `ptr` out of the guest's memory.
pub(crate) fn read(caller: &Caller<'_, HostState>, ptr: i32, len: i32) -> Result<Vec<u8>> {
    let memory = caller.data().guest()?.memory;
    let (start, len) = (addr(ptr), addr(len));
    start
        .checked_add(len)
        .and_then(|end| memory.data(caller).get(start..end))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| format_err!("guest passed an out-of-bounds range ({start}, {len} bytes)"))
}

pub(crate) fn write_u32(caller: &mut Caller<'_, HostState>, ptr: i32, value: u32) -> Result<()> {
    write(caller, ptr, &value.to_le_bytes())
}

pub(crate) fn write_u64(caller: &mut Caller<'_, HostState>, ptr: i32, value: u64) -> Result<()> {
    write(caller, ptr, &value.to_le_bytes())
}

fn write(caller: &mut Caller<'_, HostState>, ptr: i32, bytes: &[u8]) -> Result<()> {
    let memory = caller.data().guest()?.memory;
    memory
        .write(&mut *caller, addr(ptr), bytes)
        .map_err(|_| format_err!("guest passed an out-of-bounds return pointer ({ptr:#x})"))
}

/// Hands bytes to the guest the way proxy-wasm hosts do: memory from the guest's own
/// allocator, its address and size written through the two return pointers. Empty data is
/// returned as a null pointer, which the SDK reads as "no value".
pub(crate) fn copy_out(
    caller: &mut Caller<'_, HostState>,
    data: &[u8],
    ptr_ptr: i32,
    size_ptr: i32,
) -> Result<()> {
    if data.is_empty() {
        write_u32(caller, ptr_ptr, 0)?;
        return write_u32(caller, size_ptr, 0);
    }
    let size = u32_len(data.len())?;
    let allocate = caller.data().guest()?.allocate.clone();
    let address = allocate.call(&mut *caller, size as i32)?;
    if address == 0 {
        return Err(format_err!(
            "the guest allocator returned null for {size} bytes"
        ));
    }
    write(caller, address, data)?;
    write_u32(caller, ptr_ptr, address as u32)?;
    write_u32(caller, size_ptr, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_round_trips_and_matches_the_sdk_layout() {
        let pairs = vec![
            (b":method".to_vec(), b"GET".to_vec()),
            (b"x-empty".to_vec(), Vec::new()),
        ];
        let bytes = serialize_map(&pairs).unwrap();
        // Layout as in proxy-wasm 0.2.5's own test vector: count, sizes, NUL-terminated data.
        assert_eq!(&bytes[..4], &[2, 0, 0, 0]);
        assert_eq!(&bytes[4..12], &[7, 0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(&bytes[20..28], b":method\0");
        assert_eq!(deserialize_map(&bytes).unwrap(), pairs);
    }

    #[test]
    fn malformed_maps_are_rejected_not_panicked_on() {
        assert_eq!(deserialize_map(&[]), Some(Vec::new()));
        assert_eq!(deserialize_map(&[1, 0, 0]), None);
        assert_eq!(
            deserialize_map(&[1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, b'a']),
            None
        );
        assert_eq!(deserialize_map(&[255, 255, 255, 255]), None);
    }

    #[test]
    fn property_paths_split_on_nul() {
        assert_eq!(property_path(b"source\0address"), ["source", "address"]);
        assert!(property_path(b"").is_empty());
    }
}
