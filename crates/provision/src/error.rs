//! The crate's error: what can stop the server from starting, by domain.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::checkin::StateFileError;
use crate::config::ConfigFileError;
use crate::inventory::InventoryError;
use crate::macmap::MacMapError;
use crate::tls::TlsError;
use crate::vicidial::DbError;

/// Why the server cannot start. Every variant names the file or address concerned.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The server's configuration file.
    #[error("{}: {source}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: ConfigFileError,
    },
    /// The inventory.
    #[error("{}: {source}", path.display())]
    Inventory {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: InventoryError,
    },
    /// The MAC map of the VICIdial source.
    #[error("{}: {source}", path.display())]
    MacMap {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: MacMapError,
    },
    /// A file that cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The check-in state file.
    #[error("{}: {source}", path.display())]
    StateFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: StateFileError,
    },
    /// VICIdial's database.
    #[error("VICIdial database: {0}")]
    Database(#[from] DbError),
    /// The TLS certificate, key or client CA.
    #[error("{0}")]
    Tls(#[from] TlsError),
    /// A listener that cannot be opened.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}
