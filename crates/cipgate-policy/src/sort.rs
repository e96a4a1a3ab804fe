//! Heapsort, for the sorts of the request path and of loading a policy.
//!
//! The standard library's sorts are fast on big inputs, but each instantiation is kilobytes
//! of Wasm, and V8 compiles every function before Envoy listens: the six in the Envoy module
//! were a fifth of its compile time. What is sorted here is short (a name's words, a
//! screening query's hashes and candidates, an object's keys), and heapsort stays O(n log n)
//! on long, hostile input in a few hundred bytes of code.

/// Sorts `items` ascending; equal items may end up in any order.
pub fn sort_unstable<T: Ord>(items: &mut [T]) {
    sort_unstable_by(items, |a, b| a < b);
}

/// Sorts `items` so that no item is `less` than one before it; equal items may end up in any
/// order.
pub fn sort_unstable_by<T>(items: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    let len = items.len();
    for root in (0..len / 2).rev() {
        sift_down(items, root, len, &mut less);
    }
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end, &mut less);
    }
}

/// Restores the max-heap below `node` within `items[..end]`.
fn sift_down<T>(
    items: &mut [T],
    mut node: usize,
    end: usize,
    less: &mut impl FnMut(&T, &T) -> bool,
) {
    loop {
        let mut child = 2 * node + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && is_less(items, child, child + 1, less) {
            child += 1;
        }
        if !is_less(items, node, child, less) {
            return;
        }
        items.swap(node, child);
        node = child;
    }
}

fn is_less<T>(items: &[T], a: usize, b: usize, less: &mut impl FnMut(&T, &T) -> bool) -> bool {
    match (items.get(a), items.get(b)) {
        (Some(a), Some(b)) => less(a, b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_as_the_standard_library_does(mut items in prop::collection::vec(any::<u8>(), 0..200)) {
            let mut expected = items.clone();
            expected.sort();
            sort_unstable(&mut items);
            prop_assert_eq!(items, expected);
        }

        #[test]
        fn a_comparator_with_a_tie_break_gives_the_stable_order(
            items in prop::collection::vec((0u8..4, any::<u16>()), 0..200)
        ) {
            let mut expected = items.clone();
            expected.sort_by_key(|(key, _)| *key);
            let mut indexed: Vec<(usize, (u8, u16))> = items.into_iter().enumerate().collect();
            sort_unstable_by(&mut indexed, |a, b| (a.1 .0, a.0) < (b.1 .0, b.0));
            let sorted: Vec<(u8, u16)> = indexed.into_iter().map(|(_, item)| item).collect();
            prop_assert_eq!(sorted, expected);
        }
    }
}
