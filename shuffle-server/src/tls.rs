//! TLS for shuffle connections, on the shuffle port itself.
//!
//! Spark 3.5 has no TLS on its RPC layer, so stock executors keep speaking plaintext (with
//! SASL or the AuthEngine) while TLS clients such as `shuffle-client` share the same port:
//! every Spark frame starts with the high byte of a 64-bit length, which is 0 for any frame
//! the daemon accepts, and every TLS connection starts with a handshake record, byte 0x16.
//! One port keeps executors' `spark.shuffle.service.port` valid and needs no second firewall
//! rule. With [`TlsSettings::required`], plaintext connections are closed instead.
//!
//! Chunk bodies on a TLS connection are read into memory and encrypted by rustls; only
//! plaintext connections send them with `sendfile`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::config::keys;
use crate::error::{Error, Result};

/// The first byte of every TLS connection: a handshake record.
pub const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// TLS settings (`spark.shuffle.service.rs.tls.*`) and the acceptor built from their files.
#[derive(Clone)]
pub struct TlsSettings {
    /// PEM certificate chain presented to clients (`spark.shuffle.service.rs.tls.certFile`).
    pub cert_file: PathBuf,
    /// PEM private key of that certificate (`spark.shuffle.service.rs.tls.keyFile`).
    pub key_file: PathBuf,
    /// When set, clients must present a certificate signed by one of these PEM CA
    /// certificates (`spark.shuffle.service.rs.tls.clientCaFile`).
    pub client_ca_file: Option<PathBuf>,
    /// Whether plaintext connections are refused (`spark.shuffle.service.rs.tls.required`,
    /// default false; stock Spark 3.5 clients cannot connect when it is true).
    pub required: bool,
    acceptor: TlsAcceptor,
}

impl TlsSettings {
    /// Reads the certificate chain, its key and the optional client CA certificates; an
    /// unreadable or invalid file is an error naming its configuration key.
    pub fn load(
        cert_file: &Path,
        key_file: &Path,
        client_ca_file: Option<&Path>,
        required: bool,
    ) -> Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = read_certs(keys::TLS_CERT_FILE, cert_file)?;
        let key = PrivateKeyDer::from_pem_file(key_file)
            .map_err(|e| tls_file(keys::TLS_KEY_FILE, key_file, e))?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_file(keys::TLS_CERT_FILE, cert_file, e))?;
        let builder = match client_ca_file {
            None => builder.with_no_client_auth(),
            Some(ca_file) => {
                let key = keys::TLS_CLIENT_CA_FILE;
                let mut roots = RootCertStore::empty();
                for cert in read_certs(key, ca_file)? {
                    roots.add(cert).map_err(|e| tls_file(key, ca_file, e))?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .map_err(|e| tls_file(key, ca_file, e))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let server = builder
            .with_single_cert(certs, key)
            .map_err(|e| tls_file(keys::TLS_KEY_FILE, key_file, e))?;
        Ok(Self {
            cert_file: cert_file.to_owned(),
            key_file: key_file.to_owned(),
            client_ca_file: client_ca_file.map(Path::to_owned),
            required,
            acceptor: TlsAcceptor::from(Arc::new(server)),
        })
    }

    /// The acceptor that runs the server side of a handshake.
    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

/// Every certificate in a PEM file; none at all is an error too.
fn read_certs(key: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<std::result::Result<Vec<_>, _>>)
        .map_err(|e| tls_file(key, path, e))?;
    if certs.is_empty() {
        return Err(tls_file(key, path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

fn tls_file(key: &'static str, path: &Path, reason: impl fmt::Display) -> Error {
    Error::TlsConfig { key, path: path.to_owned(), reason: reason.to_string() }
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("client_ca_file", &self.client_ca_file)
            .field("required", &self.required)
            .finish_non_exhaustive()
    }
}

/// Settings are equal when they name the same files and rule; what the files held when read
/// does not take part.
impl PartialEq for TlsSettings {
    fn eq(&self, other: &Self) -> bool {
        (&self.cert_file, &self.key_file, &self.client_ca_file, self.required)
            == (&other.cert_file, &other.key_file, &other.client_ca_file, other.required)
    }
}

impl Eq for TlsSettings {}
