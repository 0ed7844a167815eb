//! The admin API under `/_sim/`: statistics and ground truth, for tests and benchmarks that
//! run the simulator as a separate process.
//!
//! * `GET /_sim/stats`: [`crate::SimStats`] as JSON.
//! * `GET /_sim/ground_truth`: `[{"tenant","entity","count"}]` for every set served.
//! * `GET /_sim/ground_truth/{tenant}/{entity}`: NDJSON, one `{"key","json"}` line per record in
//!   server order (`key` null for a record served without its key; `json` the exact text).
//! * `GET /_sim/ground_truth/links`: NDJSON, one [`crate::GroundTruthLink`] per line
//!   (`left_source`, `left_tenant`, `left_customer_id`, `right_source`, `right_tenant`,
//!   `right_customer_id`, `shared`).
//! * `POST /_sim/change/{tenant}?count=N&delete=D&add=A&entity=E`: changes the simulator's
//!   tenant `tenant` (`u8_demo_a`, `ycm_demo`: the simulator's name, not a vendor account) as
//!   [`crate::SimHandle::change`] does: edits N records, deletes D others, adds A new ones (each
//!   0 when absent). `entity` is `customers` (default: the U8 tenant's, or the YCM client's),
//!   `contacts` (U8) or an entity name (`u8_customers`, `u8_contacts`, `ycm_customers`).
//!   Answers `{"changed":[edited keys],"seq","tenant","entity","inserted","updated",
//!   "deleted"}`; HTTP 404 for an unknown tenant, 400 for an unknown entity.
//! * `GET /_sim/changes?since=N`: [`crate::ChangeSet`] as JSON, the net keys inserted, updated
//!   and deleted per tenant and entity by the change calls numbered above N (default 0).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::ground_truth::Entity;
use crate::journal::{ChangeOutcome, ChangeRequest};
use crate::state::SimState;

fn json_response(body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn to_json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(body, "application/json"),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// `GET /_sim/stats`.
pub(crate) async fn stats(State(state): State<Arc<SimState>>) -> Response {
    to_json(&state.stats())
}

#[derive(Serialize)]
struct SetSummary<'a> {
    tenant: &'a str,
    entity: Entity,
    count: u64,
}

/// `GET /_sim/ground_truth`.
pub(crate) async fn ground_truth_index(State(state): State<Arc<SimState>>) -> Response {
    let mut sets = Vec::new();
    for t in &state.u8 {
        sets.push(SetSummary {
            tenant: &t.config.name,
            entity: Entity::U8Customers,
            count: t.customers.snapshot().len(),
        });
        sets.push(SetSummary {
            tenant: &t.config.name,
            entity: Entity::U8Contacts,
            count: t.contacts.snapshot().len(),
        });
    }
    for c in &state.ycm {
        sets.push(SetSummary {
            tenant: &c.config.name,
            entity: Entity::YcmCustomers,
            count: c.customers.snapshot().len(),
        });
    }
    to_json(&sets)
}

/// `GET /_sim/ground_truth/{tenant}/{entity}`.
pub(crate) async fn entity_set(
    State(state): State<Arc<SimState>>,
    Path((tenant, entity)): Path<(String, String)>,
) -> Response {
    let Some(entity) = Entity::parse(&entity) else {
        return (
            StatusCode::NOT_FOUND,
            "entity must be u8_customers, u8_contacts or ycm_customers",
        )
            .into_response();
    };
    let Some(set) = state.entity_set(&tenant, entity) else {
        return (StatusCode::NOT_FOUND, "no such tenant for this entity").into_response();
    };
    let mut body = Vec::new();
    for record in &set.records {
        if serde_json::to_writer(&mut body, record).is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        body.push(b'\n');
    }
    json_response(body, "application/x-ndjson")
}

/// `GET /_sim/ground_truth/links`.
pub(crate) async fn links(State(state): State<Arc<SimState>>) -> Response {
    let mut body = Vec::new();
    for link in state.ground_truth_links() {
        if serde_json::to_writer(&mut body, &link).is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        body.push(b'\n');
    }
    json_response(body, "application/x-ndjson")
}

/// The parameters of the change endpoint; each count defaults to 0.
#[derive(Deserialize)]
pub(crate) struct ChangeQuery {
    /// Records to edit.
    #[serde(default)]
    count: u64,
    /// Records to delete.
    #[serde(default)]
    delete: u64,
    /// Records to add.
    #[serde(default)]
    add: u64,
    /// `customers` (default), `contacts`, or an [`Entity`] name.
    entity: Option<String>,
}

/// The answer of the change endpoint: the [`crate::ChangeOutcome`] plus `changed`, the edited
/// keys (what the endpoint answered before it could delete and add).
#[derive(Serialize)]
struct Changed {
    changed: Vec<String>,
    #[serde(flatten)]
    outcome: ChangeOutcome,
}

/// Which entity `word` names for `tenant`: `customers` are a U8 tenant's customers, or a YCM
/// client's when no U8 tenant has that name; `contacts` are a U8 tenant's contacts.
fn entity_of(state: &SimState, tenant: &str, word: Option<&str>) -> Option<Entity> {
    match word.unwrap_or("customers") {
        "customers" if state.u8.iter().any(|t| t.config.name == tenant) => {
            Some(Entity::U8Customers)
        }
        "customers" => Some(Entity::YcmCustomers),
        "contacts" => Some(Entity::U8Contacts),
        other => Entity::parse(other),
    }
}

/// `POST /_sim/change/{tenant}?count=N&delete=D&add=A&entity=E`.
pub(crate) async fn change(
    State(state): State<Arc<SimState>>,
    Path(tenant): Path<String>,
    Query(query): Query<ChangeQuery>,
) -> Response {
    let Some(entity) = entity_of(&state, &tenant, query.entity.as_deref()) else {
        return (
            StatusCode::BAD_REQUEST,
            "entity must be customers, contacts, u8_customers, u8_contacts or ycm_customers",
        )
            .into_response();
    };
    let request = ChangeRequest {
        update: query.count,
        delete: query.delete,
        add: query.add,
    };
    match state.change(&tenant, entity, request) {
        Ok(outcome) => to_json(&Changed {
            changed: outcome.changes.updated.clone(),
            outcome,
        }),
        Err(e) => (StatusCode::NOT_FOUND, e.to_string()).into_response(),
    }
}

/// `?since=N` of the changes endpoint (default 0: every change).
#[derive(Deserialize)]
pub(crate) struct ChangesQuery {
    #[serde(default)]
    since: u64,
}

/// `GET /_sim/changes?since=N`.
pub(crate) async fn changes(
    State(state): State<Arc<SimState>>,
    Query(query): Query<ChangesQuery>,
) -> Response {
    to_json(&state.changes_since(query.since))
}
