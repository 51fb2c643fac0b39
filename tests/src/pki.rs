//! A throwaway certificate authority for TLS tests: a CA, a server certificate for
//! `127.0.0.1` and a client certificate, as PEM files in a temp dir.

use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedKey, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};
use shuffle_server::tls::TlsSettings;

/// The CA and the files it issued: `ca.pem`, `server.pem`/`server.key` (for 127.0.0.1),
/// `client.pem`/`client.key`.
pub struct Pki {
    dir: tempfile::TempDir,
    ca: CertifiedKey,
}

impl Pki {
    /// A new CA with a server and a client certificate.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let key_pair = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key_pair).expect("CA certificate");
        let pki = Self { dir, ca: CertifiedKey { cert, key_pair } };
        std::fs::write(pki.path("ca.pem"), pki.ca.cert.pem()).expect("writing ca.pem");
        pki.issue("server", "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth);
        pki.issue("client", "executor-1", ExtendedKeyUsagePurpose::ClientAuth);
        pki
    }

    /// Issues `<name>.pem` and `<name>.key` for `subject` (a host, IP or plain name).
    pub fn issue(&self, name: &str, subject: &str, usage: ExtendedKeyUsagePurpose) {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(vec![subject.to_owned()]).expect("params");
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.ca.cert, &self.ca.key_pair).expect("signing");
        std::fs::write(self.path(&format!("{name}.pem")), cert.pem()).expect("writing cert");
        std::fs::write(self.path(&format!("{name}.key")), key.serialize_pem()).expect("key");
    }

    /// A file of this CA's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The daemon's TLS settings with the server certificate; `client_ca` requires client
    /// certificates from this CA, `required` refuses plaintext.
    pub fn server_settings(&self, client_ca: bool, required: bool) -> TlsSettings {
        let ca = client_ca.then(|| self.path("ca.pem"));
        let (cert, key) = (self.path("server.pem"), self.path("server.key"));
        TlsSettings::load(&cert, &key, ca.as_deref(), required).expect("TLS settings")
    }
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}
