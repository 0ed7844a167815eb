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
//! * `POST /_sim/change/{tenant}?count=N`: edits N customers of U8 tenant `tenant` (see
//!   [`crate::SimHandle::change_u8_customers`]) and answers `{"changed":[codes]}`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::ground_truth::Entity;
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

/// `?count=N` of the change endpoint.
#[derive(Deserialize)]
pub(crate) struct ChangeQuery {
    count: u64,
}

#[derive(Serialize)]
struct Changed {
    changed: Vec<String>,
}

/// `POST /_sim/change/{tenant}?count=N`.
pub(crate) async fn change(
    State(state): State<Arc<SimState>>,
    Path(tenant): Path<String>,
    Query(query): Query<ChangeQuery>,
) -> Response {
    match state.change_u8_customers(&tenant, query.count) {
        Some(changed) => to_json(&Changed { changed }),
        None => (StatusCode::NOT_FOUND, "no U8 tenant of that name").into_response(),
    }
}
