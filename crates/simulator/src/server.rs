//! Starting and stopping the server, and the handle tests hold while it runs.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::error::SimError;
use crate::ground_truth::{Entity, EntitySet, GroundTruth, GroundTruthLink};
use crate::routes::router;
use crate::state::SimState;
use crate::stats::SimStats;

/// Validates `config`, binds `config.listen` and serves both vendors' APIs in the background
/// until [`SimHandle::shutdown`] (or until the handle is dropped).
pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    config.validate()?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: config.listen,
        source,
    })?;
    let state = Arc::new(SimState::new(config));
    let app = router(state.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        // An accept error ends the server; the handle's users see refused connections.
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
    });
    Ok(SimHandle {
        addr,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// A running simulator.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    state: Arc<SimState>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`, the base URL of both vendors' APIs (the spec paths are appended).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every record of every tenant and entity as served now (drift included).
    pub fn ground_truth(&self) -> GroundTruth {
        self.state.ground_truth()
    }

    /// The customers of different sources that are the same company, among the records served
    /// now (see [`crate::SimConfig::link_share`], [`crate::SimConfig::u8_overlap_share`] and
    /// [`crate::SimConfig::ycm_overlap_share`]): YCM links by client and customerId, then U8
    /// overlap links by tenant and code, then YCM overlap links by client and customerId.
    pub fn ground_truth_links(&self) -> Vec<GroundTruthLink> {
        self.state.ground_truth_links()
    }

    /// The records of one tenant's entity as served now; `None` for an unknown tenant.
    pub fn entity_set(&self, tenant: &str, entity: Entity) -> Option<EntitySet> {
        self.state.entity_set(tenant, entity)
    }

    /// Edits `count` deterministic customers of U8 tenant `tenant`, as a user would in U8
    /// between two exports: each gets a `timestamp` above every version served so far, a later
    /// `ModifyDate` and a new `memo`; ground truth follows. Successive calls choose different
    /// records (a record may be edited again). Returns the edited customers' codes in server
    /// order, or `None` for an unknown tenant.
    pub fn change_u8_customers(&self, tenant: &str, count: u64) -> Option<Vec<String>> {
        self.state.change_u8_customers(tenant, count)
    }

    /// Request, token, fault and drift statistics so far.
    pub fn stats(&self) -> SimStats {
        self.state.stats()
    }

    /// Every access and refresh token this server has issued, expired ones included, so tests
    /// can check that none of them appears in anything a client printed or wrote.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.tokens().issued_values()
    }

    /// The configuration the server runs with.
    pub fn config(&self) -> &SimConfig {
        &self.state.config
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
