//! Starting and stopping the server, and the handle tests hold while it runs.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::SimConfig;
use crate::error::{ChangeError, SimError};
use crate::ground_truth::{Entity, EntitySet, GroundTruth, GroundTruthLink};
use crate::journal::{ChangeOutcome, ChangeRequest, ChangeSet};
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

    /// Changes `tenant`'s `entity` as users would at the source between two exports: edits
    /// `request.update` served records, deletes `request.delete` others and adds
    /// `request.add` new ones, all chosen deterministically from the seed and the calls so far.
    ///
    /// `tenant` is the simulator's name (`u8_demo_a`, `ycm_demo`), not a vendor account. An
    /// edited record changes visibly: a U8 customer gets a `timestamp` above every version
    /// served so far, a later `ModifyDate` and a new `memo`; a U8 contact a new `favorite`; a
    /// YCM customer a new `remark`. A deleted record leaves every listing (counts shrink, pages
    /// stay full except the last), `get` and ground truth. An added record gets a key never
    /// used before (U8 `00000017-001`, a YCM id between two others) and, for U8 customers, a
    /// `timestamp` and `ModifyDate` above everything served so far. Deleting a U8 customer
    /// keeps its contacts (U8 keeps them too); added contacts belong to original customers.
    /// Returns the call's sequence number and the keys it changed, each list in server order.
    pub fn change(
        &self,
        tenant: &str,
        entity: Entity,
        request: ChangeRequest,
    ) -> Result<ChangeOutcome, ChangeError> {
        self.state.change(tenant, entity, request)
    }

    /// The net changes after change call `since` (0: since the start), per tenant and entity:
    /// a record added then edited counts as inserted, edited then deleted as deleted, added
    /// then deleted not at all. Its `latest` is the `since` of the next question.
    pub fn changes_since(&self, since: u64) -> ChangeSet {
        self.state.changes_since(since)
    }

    /// The latest change call's sequence number (0 before any): take it before an export to
    /// ask [`SimHandle::changes_since`] afterwards.
    pub fn change_seq(&self) -> u64 {
        self.state.change_seq()
    }

    /// Edits `count` deterministic customers of U8 tenant `tenant` (see [`SimHandle::change`]).
    /// Successive calls choose different records (a record may be edited again). Returns the
    /// edited customers' codes in server order, or `None` for an unknown tenant.
    pub fn change_u8_customers(&self, tenant: &str, count: u64) -> Option<Vec<String>> {
        let request = ChangeRequest {
            update: count,
            ..ChangeRequest::default()
        };
        let outcome = self.change(tenant, Entity::U8Customers, request).ok()?;
        Some(outcome.changes.updated)
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
