//! Finding the client IP address: the downstream peer, or an address that trusted proxies
//! wrote into `X-Forwarded-For`. Everything left of the trusted entries is client-written and
//! never believed.

use std::net::{IpAddr, SocketAddr};

/// The IP of Envoy's `source.address` property (`1.2.3.4:5678`, `[::1]:5678`).
pub fn from_peer(address: &str) -> Option<IpAddr> {
    address
        .parse::<SocketAddr>()
        .map(|a| a.ip())
        .or_else(|_| address.parse::<IpAddr>())
        .ok()
}

/// The `trusted_hops`-th address from the right of `X-Forwarded-For` (all header lines, in
/// order, form one list). Each trusted proxy appends the address it received the request
/// from, so that entry is the last one no client could have written. `None` when the list is
/// shorter or the entry is not an IP address.
pub fn from_forwarded_for(values: &[String], trusted_hops: usize) -> Option<IpAddr> {
    let entries: Vec<&str> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let index = entries.len().checked_sub(trusted_hops)?;
    entries.get(index).and_then(|e| from_peer(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn peer_addresses_with_and_without_port() {
        assert_eq!(from_peer("127.0.0.1:5555"), ip("127.0.0.1"));
        assert_eq!(from_peer("[::1]:5555"), ip("::1"));
        assert_eq!(from_peer("2001:db8::7"), ip("2001:db8::7"));
        assert_eq!(from_peer("envoy"), None);
    }

    #[test]
    fn forwarded_for_counts_trusted_hops_from_the_right() {
        let xff = vec![
            "198.51.100.7, 203.0.113.9".to_owned(),
            "192.0.2.1".to_owned(),
        ];
        assert_eq!(from_forwarded_for(&xff, 1), ip("192.0.2.1"));
        assert_eq!(from_forwarded_for(&xff, 2), ip("203.0.113.9"));
        assert_eq!(from_forwarded_for(&xff, 3), ip("198.51.100.7"));
        assert_eq!(from_forwarded_for(&xff, 4), None);
        assert_eq!(from_forwarded_for(&[], 1), None);
        assert_eq!(from_forwarded_for(&["unknown".to_owned()], 1), None);
    }
}
