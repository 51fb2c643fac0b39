//! [`TlsConfig`]: TLS to a `shuffle-server` that has `spark.shuffle.service.rs.tls.enabled`.
//!
//! Spark 3.5's own service has no TLS; this project's daemon accepts TLS on its shuffle port
//! next to plaintext. TLS runs first, then the optional `spark.authenticate` handshake inside
//! it, so the two combine.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::RootCertStore;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::error::{Error, Result};

/// How connections are wrapped in TLS: the CA certificates the server's certificate must
/// chain to, an optional client certificate, and the name to check the server against.
#[derive(Clone)]
pub struct TlsConfig {
    connector: TlsConnector,
    server_name: Option<ServerName<'static>>,
}

impl TlsConfig {
    /// Trusts the PEM CA certificates in `ca_file`, presents no client certificate, and checks
    /// the server against the host part of each address it connects to.
    pub fn from_ca_file(ca_file: &Path) -> Result<Self> {
        Self::from_files(ca_file, None)
    }

    /// Like [`TlsConfig::from_ca_file`], also presenting the PEM certificate chain and key
    /// `client` (`(cert_file, key_file)`), for a server with
    /// `spark.shuffle.service.rs.tls.clientCaFile`.
    pub fn from_files(ca_file: &Path, client: Option<(&Path, &Path)>) -> Result<Self> {
        let mut roots = RootCertStore::empty();
        for cert in read_certs(ca_file)? {
            roots.add(cert).map_err(|e| tls_file(ca_file, e))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_file(ca_file, e))?
            .with_root_certificates(roots);
        let config = match client {
            None => builder.with_no_client_auth(),
            Some((cert_file, key_file)) => {
                let certs = read_certs(cert_file)?;
                let key =
                    PrivateKeyDer::from_pem_file(key_file).map_err(|e| tls_file(key_file, e))?;
                builder.with_client_auth_cert(certs, key).map_err(|e| tls_file(key_file, e))?
            }
        };
        Ok(Self::from_rustls(Arc::new(config)))
    }

    /// Uses a rustls configuration built by the caller (its own roots, provider, ALPN…).
    pub fn from_rustls(config: Arc<rustls::ClientConfig>) -> Self {
        Self { connector: TlsConnector::from(config), server_name: None }
    }

    /// Checks every server's certificate against `name` instead of the host it is reached
    /// at (for servers reached by IP whose certificate names a host, say).
    pub fn with_server_name(mut self, name: &str) -> Result<Self> {
        let name = ServerName::try_from(name.to_owned()).map_err(|e| Error::Tls {
            addr: name.to_owned(),
            reason: format!("invalid server name: {e}"),
        })?;
        self.server_name = Some(name);
        Ok(self)
    }

    /// Runs the client side of the handshake on `socket`, connected to `addr`
    /// (`host:port`).
    pub(crate) async fn connect(
        &self,
        addr: &str,
        socket: TcpStream,
    ) -> Result<TlsStream<TcpStream>> {
        let name = match &self.server_name {
            Some(name) => name.clone(),
            None => host_name(addr)?,
        };
        self.connector
            .connect(name, socket)
            .await
            .map_err(|e| Error::Tls { addr: addr.to_owned(), reason: e.to_string() })
    }
}

/// The server name to check for `host:port`, `[v6]:port` or a bare host.
fn host_name(addr: &str) -> Result<ServerName<'static>> {
    let host = match addr.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        _ => addr,
    };
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    ServerName::try_from(host.to_owned()).map_err(|e| Error::Tls {
        addr: addr.to_owned(),
        reason: format!("cannot check the server's certificate against {host:?}: {e}"),
    })
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<std::result::Result<Vec<_>, _>>)
        .map_err(|e| tls_file(path, e))?;
    if certs.is_empty() {
        return Err(tls_file(path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

fn tls_file(path: &Path, reason: impl fmt::Display) -> Error {
    Error::TlsConfig { path: path.to_owned(), reason: reason.to_string() }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig").field("server_name", &self.server_name).finish_non_exhaustive()
    }
}

/// Two configurations are equal when they share one rustls configuration and name.
impl PartialEq for TlsConfig {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(self.connector.config(), other.connector.config())
            && self.server_name == other.server_name
    }
}

impl Eq for TlsConfig {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_come_from_the_host_part() {
        let name = |addr| host_name(addr).map(|n| n.to_str().into_owned());
        assert_eq!(name("127.0.0.1:7337").ok().as_deref(), Some("127.0.0.1"));
        assert_eq!(name("shuffle.example:7337").ok().as_deref(), Some("shuffle.example"));
        assert_eq!(name("[::1]:7337").ok().as_deref(), Some("::1"));
        assert_eq!(name("shuffle.example").ok().as_deref(), Some("shuffle.example"));
        assert!(matches!(host_name("bad host:1"), Err(Error::Tls { .. })));
    }
}
