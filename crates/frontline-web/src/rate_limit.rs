//! Rate limits on /api/v1: first per client address, before anyone is
//! authenticated (so floods without a token or with bad tokens are refused
//! too), then per API token or signed-in user. Over a limit the answer is
//! 429 with `Retry-After` and the API's JSON error. Limits are GCRA
//! (governor), in memory per instance.
//!
//! The client address is the socket's peer. `X-Forwarded-For` is believed
//! only when the peer is a configured trusted proxy, and then read from the
//! right, skipping trusted proxies: the first other address is the client.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use ipnet::IpNet;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// A sustained rate with a burst on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub per_second: u32,
    pub burst: u32,
}

impl Limit {
    /// None when `per_second` is 0 (no limit); a burst of 0 means one second's worth.
    pub fn new(per_second: u32, burst: u32) -> Option<Limit> {
        (per_second > 0).then_some(Limit { per_second, burst: if burst == 0 { per_second } else { burst } })
    }

    fn quota(self) -> Option<Quota> {
        Some(Quota::per_second(NonZeroU32::new(self.per_second)?).allow_burst(NonZeroU32::new(self.burst)?))
    }
}

/// What to limit; `Default` limits nothing.
#[derive(Debug, Clone, Default)]
pub struct RateLimits {
    pub per_token: Option<Limit>,
    pub per_ip: Option<Limit>,
    /// Peers whose `X-Forwarded-For` is believed (load balancers, reverse proxies).
    pub trusted_proxies: Vec<IpNet>,
}

/// A trusted proxy as configured: an address (`10.0.0.7`) or a network (`10.0.0.0/8`).
pub fn parse_proxy(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("'{s}' is neither an IP address nor a network like 10.0.0.0/8"))
}

/// Keys are purged of idle state every this many requests, so a flood of
/// distinct addresses holds at most this many extra entries.
const PURGE_EVERY: u64 = 4096;

struct Keyed<K: std::hash::Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    seen: AtomicU64,
}

impl<K: std::hash::Hash + Eq + Clone> Keyed<K> {
    fn new(limit: Option<Limit>) -> Option<Self> {
        Some(Keyed { limiter: DefaultKeyedRateLimiter::keyed(limit?.quota()?), seen: AtomicU64::new(0) })
    }

    /// Ok, or the whole seconds (at least 1) until the next request is allowed.
    fn check(&self, key: &K) -> Result<(), u64> {
        if self.seen.fetch_add(1, Ordering::Relaxed) % PURGE_EVERY == PURGE_EVERY - 1 {
            // Drops keys whose bucket is full again: they are no different from a new key.
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            (wait.as_secs_f64().ceil() as u64).max(1)
        })
    }
}

/// The limiters of one app (one per instance).
pub struct Limiters {
    per_token: Option<Keyed<String>>,
    per_ip: Option<Keyed<IpAddr>>,
    trusted_proxies: Vec<IpNet>,
}

impl Limiters {
    pub fn new(limits: &RateLimits) -> Self {
        Limiters {
            per_token: Keyed::new(limits.per_token),
            per_ip: Keyed::new(limits.per_ip),
            trusted_proxies: limits.trusted_proxies.clone(),
        }
    }

    fn trusted(&self, ip: &IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(ip))
    }

    /// The client of a request, as sign-in records it: the same address the
    /// limits use, or "-" when the peer is unknown.
    pub fn request_client(&self, extensions: &axum::http::Extensions, headers: &HeaderMap) -> String {
        let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        self.client_ip(peer, headers).map_or_else(|| "-".into(), |ip| ip.to_string())
    }

    /// The client's address; None when the connection's peer is unknown.
    fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let mut client = peer?.to_canonical();
        if !self.trusted(&client) {
            return Some(client);
        }
        let hops: Vec<&str> =
            headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).collect();
        for hop in hops.into_iter().rev() {
            // Garbage stops the walk: the last trusted hop stands for the client then.
            let Some(ip) = parse_hop(hop) else { break };
            client = ip;
            if !self.trusted(&client) {
                break;
            }
        }
        Some(client)
    }
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>().or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip())).ok().map(|ip| ip.to_canonical())
}

/// One key per IPv4 address, and per IPv6 /64 (what one subscriber gets,
/// so they cannot spread a flood over their addresses). An unknown peer
/// (only in-process callers have none) shares one key.
fn ip_key(ip: Option<IpAddr>) -> IpAddr {
    match ip {
        Some(IpAddr::V6(v6)) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !((1u128 << 64) - 1))),
        Some(v4) => v4,
        None => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

fn too_many(retry_after: u64, whose: &str) -> Response {
    let mut r = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests from {whose}; retry after {retry_after} s (see the Retry-After header)"),
        None,
    )
    .into_response();
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    r
}

pub async fn layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let limits = &st.rate_limits;
    if let Some(per_ip) = &limits.per_ip {
        let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        if let Err(wait) = per_ip.check(&ip_key(limits.client_ip(peer, req.headers()))) {
            return too_many(wait, "this address");
        }
    }
    let Some(per_token) = &limits.per_token else { return next.run(req).await };
    let (mut parts, body) = req.into_parts();
    // Without a caller the handler answers 401 as usual (the address limit covers those).
    if let Ok((user, scope)) = crate::auth::api_caller(&parts, &st).await {
        if let Err(wait) = per_token.check(&scope) {
            return too_many(wait, "this API token (or user)");
        }
        // The later layers and the handler take the caller from here, not the database again.
        parts.extensions.insert(Caller { user, scope });
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Documents the 429 answer on every operation of the API.
pub struct OpenApiTooMany;

impl utoipa::Modify for OpenApiTooMany {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        crate::api::for_each_operation(openapi, crate::api::Operations::All, |op| {
            op.responses.responses.entry("429".to_string()).or_insert_with(response);
        });
    }
}

fn response() -> RefOr<utoipa::openapi::Response> {
    let seconds = HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1))))
        .description(Some("Whole seconds to wait before the next request is allowed"))
        .build();
    RefOr::T(
        ResponseBuilder::new()
            .description(
                "Too many requests (`rate_limited`): over the limit of the API token (or signed-in user), or of the client's address",
            )
            .header("Retry-After", seconds)
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn limiters(proxies: &[&str]) -> Limiters {
        let trusted_proxies = proxies.iter().map(|p| parse_proxy(p).unwrap()).collect();
        Limiters::new(&RateLimits { trusted_proxies, ..RateLimits::default() })
    }

    fn xff(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let l = limiters(&["10.0.0.0/8", "192.168.1.1"]);
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // An untrusted peer cannot name another client.
        assert_eq!(l.client_ip(ip("203.0.113.9"), &xff("198.51.100.1")), ip("203.0.113.9"));
        // From a trusted proxy: the rightmost untrusted hop, whatever the client prepended.
        assert_eq!(l.client_ip(ip("10.1.2.3"), &xff("1.1.1.1, 198.51.100.7, 192.168.1.1")), ip("198.51.100.7"));
        assert_eq!(l.client_ip(ip("10.1.2.3"), &xff("198.51.100.7:4711")), ip("198.51.100.7"));
        // Nothing forwarded, or garbage: the proxy itself.
        assert_eq!(l.client_ip(ip("10.1.2.3"), &HeaderMap::new()), ip("10.1.2.3"));
        assert_eq!(l.client_ip(ip("10.1.2.3"), &xff("1.1.1.1, nonsense")), ip("10.1.2.3"));
        assert_eq!(l.client_ip(None, &xff("1.1.1.1")), None);
        assert!(parse_proxy("10.0.0.0/33").is_err());
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_slash_64() {
        let a = ip_key(Some("2001:db8:1:2::1".parse().unwrap()));
        let b = ip_key(Some("2001:db8:1:2:ffff::9".parse().unwrap()));
        let c = ip_key(Some("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(ip_key(Some("192.0.2.1".parse().unwrap())), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn idle_keys_are_purged() {
        let keyed = Keyed::<u64>::new(Limit::new(1_000_000, 1)).unwrap();
        for key in 0..PURGE_EVERY * 3 {
            assert!(keyed.check(&key).is_ok());
        }
        // At a million per second every earlier key is idle again at the last purge.
        assert!(keyed.limiter.len() < PURGE_EVERY as usize + 1, "{} keys kept", keyed.limiter.len());
    }
}
