//! Who the client is behind a load balancer. Login throttling and the audit log key on the
//! client's address; behind a proxy the TCP peer is the proxy, shared by every user. Only a
//! peer listed in `TRUSTED_PROXIES` is believed about `X-Forwarded-For`, and then the
//! client is the nearest address in that header that is not itself a trusted proxy.

use std::net::IpAddr;

/// An address or a network (`10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address.parse::<IpAddr>().ok()?, Some(prefix.parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Network { address, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let mask = |bits: u32, total: u32| if bits == 0 { 0u128 } else { u128::MAX << (total - bits) };
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let m = mask(u32::from(self.prefix), 32);
                (u128::from(u32::from(net)) & m) == (u128::from(u32::from(ip)) & m)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let m = mask(u32::from(self.prefix), 128);
                (u128::from(net) & m) == (u128::from(ip) & m)
            }
            _ => false,
        }
    }
}

/// Parses a comma-separated list; the error names the entry that does not read.
pub fn parse_list(text: &str) -> Result<Vec<Network>, String> {
    text.split(',').filter(|entry| !entry.trim().is_empty()).map(|entry| Network::parse(entry).ok_or_else(|| entry.trim().to_owned())).collect()
}

/// The client's address: the peer, unless the peer is a trusted proxy; then the right-most
/// address in `X-Forwarded-For` that is not a trusted proxy (the left part of the header
/// is whatever the client chose to send).
pub fn client(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[Network]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded_for.unwrap_or("").split(',').filter_map(|hop| hop.trim().parse().ok()).collect();
    hops.iter().rev().copied().find(|ip| !is_trusted(*ip)).or_else(|| hops.first().copied()).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let lan = Network::parse("10.0.0.0/8").unwrap();
        assert!(lan.contains(ip("10.1.2.3")) && !lan.contains(ip("11.0.0.1")));
        let one = Network::parse("192.0.2.7").unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        assert!(Network::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(!Network::parse("10.0.0.0/8").unwrap().contains(ip("::ffff:10.0.0.1")), "families do not mix");
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.9")));
        assert_eq!(Network::parse("10.0.0.0/33"), None);
        assert_eq!(Network::parse("tio"), None);
        assert_eq!(parse_list("10.0.0.1, 10.0.1.0/24").unwrap().len(), 2);
        assert_eq!(parse_list("10.0.0.1, lastbalansen"), Err("lastbalansen".to_owned()));
        assert_eq!(parse_list("").unwrap(), []);
    }

    #[test]
    fn only_a_trusted_peer_is_believed() {
        let trusted = parse_list("10.0.0.0/8").unwrap();
        let header = Some("198.51.100.1, 203.0.113.5");
        assert_eq!(client(ip("203.0.113.9"), header, &trusted), ip("203.0.113.9"), "an untrusted peer is the client");
        assert_eq!(client(ip("10.0.0.2"), header, &trusted), ip("203.0.113.5"), "the nearest hop the proxy saw");
        assert_eq!(client(ip("10.0.0.2"), Some("203.0.113.5, 10.0.0.3"), &trusted), ip("203.0.113.5"), "proxies in a chain are skipped");
        assert_eq!(client(ip("10.0.0.2"), None, &trusted), ip("10.0.0.2"));
        assert_eq!(client(ip("10.0.0.2"), Some("inte en adress"), &trusted), ip("10.0.0.2"));
        assert_eq!(client(ip("10.0.0.2"), Some("203.0.113.5"), &[]), ip("10.0.0.2"), "nothing trusted: the header is ignored");
    }
}
