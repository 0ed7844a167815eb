//! The library's error type.

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration is inconsistent (duplicate names, rates out of range, ...).
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address from the configuration.
        addr: std::net::SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
}

/// Why a change call (`SimHandle::change`, `POST /_sim/change/{tenant}`) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// No tenant of that name serves that entity (U8 tenants serve `u8_customers` and
    /// `u8_contacts`, YCM clients `ycm_customers`).
    #[error("no tenant named {tenant:?} serves {entity}")]
    UnknownTenant {
        /// The simulator's tenant (U8) or client (YCM) name asked for.
        tenant: String,
        /// The entity asked for.
        entity: crate::ground_truth::Entity,
    },
}
