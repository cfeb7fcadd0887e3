//! JSON error answers: `{"error": message}`, the one shape every refusal and failure has.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// `{"error": message}` with `status`.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// A 400 with `{"error": …}` naming what is wrong.
#[derive(Debug)]
pub(crate) struct BadRequest(pub(crate) String);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        json_error(StatusCode::BAD_REQUEST, &self.0)
    }
}
