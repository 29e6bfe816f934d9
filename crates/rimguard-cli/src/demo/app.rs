//! The bot's back end: an ordinary axum app, with the whole rimguard stack
//! in front of it from one configuration file.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use rimguard::core::CallerPhone;
use serde_json::{Value, json};

use super::store::Store;

/// The app's routes, without the stack.
///
/// Handlers trust what the layers found: the caller's phone number is a
/// validated [`CallerPhone`] in the extensions, the webhook body has been
/// signature-checked, the admin caller is on the office network with an
/// admin key.
pub fn routes(store: Arc<Store>) -> Router {
    Router::new()
        .route("/customers", get(customer))
        .route("/orders", get(orders))
        .route("/webhook", post(webhook))
        .route("/admin/stats", get(stats))
        .with_state(store)
}

/// The caller's number: the phone layer's, or (without the stack, in the
/// load test's baseline) parsed here as an app without rimguard would.
fn caller(
    layer: Option<Extension<CallerPhone>>,
    query: &Query<PhoneQuery>,
) -> Result<CallerPhone, StatusCode> {
    if let Some(Extension(phone)) = layer {
        return Ok(phone);
    }
    let gb = rimguard::phone::Region::new("GB");
    let raw = query
        .phone
        .as_deref()
        .ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
    let number = rimguard::phone::PhoneNumber::parse_strict(raw, gb)
        .map_err(|_| StatusCode::UNPROCESSABLE_ENTITY)?;
    let e164 = number.e164();
    let phone = number
        .is_valid()
        .then(|| CallerPhone::from_e164(e164.as_str()))
        .flatten();
    phone.ok_or(StatusCode::UNPROCESSABLE_ENTITY)
}

#[derive(Debug, serde::Deserialize)]
struct PhoneQuery {
    phone: Option<String>,
}

async fn customer(
    State(store): State<Arc<Store>>,
    layer: Option<Extension<CallerPhone>>,
    query: Query<PhoneQuery>,
) -> Result<Json<Value>, StatusCode> {
    let phone = caller(layer, &query)?;
    let customer = store
        .customer(phone.as_e164())
        .ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(
        json!({ "customer": customer, "phone": phone.masked().to_string() }),
    ))
}

async fn orders(
    State(store): State<Arc<Store>>,
    layer: Option<Extension<CallerPhone>>,
    query: Query<PhoneQuery>,
) -> Result<Json<Value>, StatusCode> {
    let phone = caller(layer, &query)?;
    let orders = store.orders(phone.as_e164());
    Ok(Json(
        json!({ "phone": phone.masked().to_string(), "orders": orders }),
    ))
}

/// A WhatsApp Cloud API notification: answers with what the bot would
/// reply to each message, looking the sender up by their number.
async fn webhook(State(store): State<Arc<Store>>, Json(event): Json<Value>) -> Json<Value> {
    let messages = event["entry"][0]["changes"][0]["value"]["messages"]
        .as_array()
        .cloned();
    let replies: Vec<Value> = messages
        .unwrap_or_default()
        .iter()
        .map(|message| {
            let from = message["from"].as_str().unwrap_or_default();
            let e164 = format!("+{from}");
            let reply = match store.customer(&e164) {
                Some(c) => format!("Hello {}, you have {} orders.", c.name, store.orders(&e164).len()),
                None => "Hello! Send us your order number.".to_owned(),
            };
            json!({ "to": CallerPhone::from_e164(&e164).map(|p| p.masked().to_string()), "reply": reply })
        })
        .collect();
    Json(json!({ "replies": replies }))
}

async fn stats(State(store): State<Arc<Store>>) -> Json<Value> {
    Json(json!({ "customers": store.len() }))
}
