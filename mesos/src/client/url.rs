//! Master URLs as Spark writes them: `mesos://host:5050`, `mesos://zk://h1:2181,h2:2181/mesos`
//! (optionally `zk://user:pass@…`), plain `host:port`, and `http://`/`https://` forms.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The port a master listens on when the URL names none.
pub const DEFAULT_MASTER_PORT: u16 = 5050;

/// Where to find the leading master.
#[derive(Clone, PartialEq, Eq)]
pub enum MasterUrl {
    /// One master, reached directly (a non-leader answers 307 to the leader).
    Direct(Endpoint),
    /// The master group in ZooKeeper; the leader is looked up before every subscription.
    ZooKeeper {
        /// The ensemble, `host:port,host:port`.
        servers: String,
        /// The group's path, e.g. `/mesos`.
        path: String,
        /// `user:pass` for ZooKeeper's `digest` scheme, if the URL carries one.
        digest: Option<String>,
    },
}

/// A master's HTTP endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether to speak TLS (an `https://` URL, or a TLS configuration given).
    pub tls: bool,
}

impl Endpoint {
    /// `host:port` as an HTTP `Host` header and a socket address want it.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Reads a `Location` of a 307 from a non-leading master: `//host:port/path` (what Mesos
    /// sends) or `http[s]://host:port/path`. TLS stays as it was unless the scheme says.
    pub fn from_location(location: &str, tls: bool) -> Option<Self> {
        let (tls, rest) = if let Some(rest) = location.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = location.strip_prefix("http://") {
            (false, rest)
        } else {
            (tls, location.strip_prefix("//")?)
        };
        let authority = rest.split('/').next().unwrap_or_default();
        let (host, port) = split_host_port(authority, if tls { 443 } else { 80 })?;
        Some(Self { host, port, tls })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.authority())
    }
}

impl fmt::Debug for MasterUrl {
    // The ZooKeeper digest is a credential: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Direct(e) => f.debug_tuple("Direct").field(e).finish(),
            Self::ZooKeeper { servers, path, digest } => f
                .debug_struct("ZooKeeper")
                .field("servers", servers)
                .field("path", path)
                .field("digest", &digest.as_ref().map(|_| "<redacted>"))
                .finish(),
        }
    }
}

impl FromStr for MasterUrl {
    type Err = Error;

    fn from_str(url: &str) -> Result<Self> {
        let bad = |reason| Error::MasterUrl { url: url.to_owned(), reason };
        let rest = url.trim();
        let rest = rest.strip_prefix("mesos://").unwrap_or(rest);
        if let Some(zk) = rest.strip_prefix("zk://") {
            let (digest, zk) = match zk.split_once('@') {
                Some((userinfo, hosts)) if !userinfo.contains('/') => {
                    (Some(userinfo.to_owned()), hosts)
                }
                _ => (None, zk),
            };
            let (servers, path) = zk.split_once('/').ok_or_else(|| bad("no znode path"))?;
            let path = format!("/{}", path.trim_end_matches('/'));
            if servers.is_empty() || path == "/" {
                return Err(bad("no ZooKeeper servers or no znode path"));
            }
            for server in servers.split(',') {
                split_host_port(server, 2181).ok_or_else(|| bad("bad ZooKeeper server"))?;
            }
            return Ok(Self::ZooKeeper { servers: servers.to_owned(), path, digest });
        }
        let (tls, rest) = if let Some(rest) = rest.strip_prefix("https://") {
            (true, rest)
        } else {
            (false, rest.strip_prefix("http://").unwrap_or(rest))
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains('/') || authority.contains('@') {
            return Err(bad("a master URL is host:port, with no path or user"));
        }
        let (host, port) =
            split_host_port(authority, DEFAULT_MASTER_PORT).ok_or_else(|| bad("bad host:port"))?;
        Ok(Self::Direct(Endpoint { host, port, tls }))
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; `None` if the host is empty or the port is
/// not a number.
fn split_host_port(s: &str, default_port: u16) -> Option<(String, u16)> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match s.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            Some(_) => return None,
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default_port,
    };
    (!host.is_empty() && !host.contains(char::is_whitespace)).then(|| (host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct(host: &str, port: u16, tls: bool) -> MasterUrl {
        MasterUrl::Direct(Endpoint { host: host.to_owned(), port, tls })
    }

    #[test]
    fn direct_forms() {
        for (url, want) in [
            ("mesos://10.0.0.1:5050", direct("10.0.0.1", 5050, false)),
            ("mesos://master.example", direct("master.example", 5050, false)),
            ("mesos://m:5051/", direct("m", 5051, false)),
            ("127.0.0.1:5050", direct("127.0.0.1", 5050, false)),
            ("http://m:80", direct("m", 80, false)),
            ("https://m:5050", direct("m", 5050, true)),
            ("mesos://[::1]:5050", direct("::1", 5050, false)),
            ("[::1]", direct("::1", 5050, false)),
        ] {
            assert_eq!(url.parse::<MasterUrl>().ok(), Some(want), "{url}");
        }
    }

    #[test]
    fn zookeeper_forms() {
        let url: Result<MasterUrl> = "mesos://zk://h1:2181,h2:2181/mesos".parse();
        assert_eq!(
            url.ok(),
            Some(MasterUrl::ZooKeeper {
                servers: "h1:2181,h2:2181".to_owned(),
                path: "/mesos".to_owned(),
                digest: None
            })
        );
        let url: Result<MasterUrl> = "zk://user:pass@h1:2181/a/b/".parse();
        assert_eq!(
            url.ok(),
            Some(MasterUrl::ZooKeeper {
                servers: "h1:2181".to_owned(),
                path: "/a/b".to_owned(),
                digest: Some("user:pass".to_owned())
            })
        );
        let shown = format!("{:?}", "zk://user:secret@h1:2181/m".parse::<MasterUrl>());
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn bad_urls_are_typed_errors() {
        for url in [
            "",
            "mesos://",
            "mesos://host:port",
            "mesos://host:99999",
            "mesos://zk://h1:2181",
            "mesos://zk://h1:2181/",
            "mesos://zk:///mesos",
            "mesos://zk://h1:x/mesos",
            "mesos://host:5050/path",
            "mesos://user@host:5050",
            "mesos://::1:5050",
        ] {
            assert!(
                matches!(url.parse::<MasterUrl>(), Err(Error::MasterUrl { .. })),
                "{url:?} parsed"
            );
        }
    }

    #[test]
    fn locations() {
        let at = |host: &str, port, tls| Some(Endpoint { host: host.to_owned(), port, tls });
        assert_eq!(
            Endpoint::from_location("//127.0.0.2:5050/master/api/v1/scheduler", false),
            at("127.0.0.2", 5050, false)
        );
        assert_eq!(Endpoint::from_location("//m:5050", true), at("m", 5050, true));
        assert_eq!(Endpoint::from_location("https://m/api", false), at("m", 443, true));
        assert_eq!(Endpoint::from_location("/relative", false), None);
        assert_eq!(Endpoint::from_location("//:5050/x", false), None);
    }
}
