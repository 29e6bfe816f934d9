//! TLS termination with rustls (the `ring` provider).

use std::path::Path;
use std::sync::Arc;

use rimguard::config::TlsConfig;
use rimguard_core::ConfigError;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// An acceptor for the certificate chain and key that `config` names,
/// offering HTTP/2 and HTTP/1.1 by ALPN.
///
/// # Errors
///
/// Names the file (field `gateway.tls.cert` or `gateway.tls.key`) that
/// cannot be read or holds no usable PEM item, or a key that does not match.
pub(crate) fn acceptor(config: &TlsConfig) -> Result<TlsAcceptor, ConfigError> {
    let certs = read_certs(&config.cert).map_err(|m| ConfigError::new("gateway.tls.cert", m))?;
    let key = read_key(&config.key).map_err(|m| ConfigError::new("gateway.tls.key", m))?;

    let provider = Arc::new(ring::default_provider());
    let mut server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::new("gateway.tls", format!("no usable TLS version: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            ConfigError::new(
                "gateway.tls.key",
                format!("does not fit the certificate: {e}"),
            )
        })?;
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(server)))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{} is not PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no certificate", path.display()));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    // The error of a failed key read never includes the key's bytes.
    PrivateKeyDer::from_pem_file(path)
        .map_err(|_| format!("{} holds no readable private key", path.display()))
}
