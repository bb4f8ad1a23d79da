//! What can go wrong, and what the client is told.

use std::path::PathBuf;

use hfr_store::StoreError;

/// An error of the web layer. Its text is for logs and the operator; a client
/// is only ever told a generic Japanese message (see [`AppError`]).
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The archive failed.
    #[error("the archive failed")]
    Store(#[from] StoreError),
    /// A template failed to render.
    #[error("cannot render a page")]
    Render(#[from] askama::Error),
    /// A JSON document could not be made.
    #[error("cannot make a JSON document")]
    Json(#[from] serde_json::Error),
    /// A file of the export could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a request failed, as far as the client may know.
#[derive(Debug)]
pub(crate) enum AppError {
    NotFound,
    /// A query or path parameter is wrong; the message names it.
    BadRequest {
        parameter: String,
        message: String,
    },
    /// Anything else: logged, answered with a generic 500.
    Internal(WebError),
}

impl AppError {
    pub(crate) fn bad(parameter: &str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            parameter: parameter.to_string(),
            message: message.into(),
        }
    }
}

impl<E: Into<WebError>> From<E> for AppError {
    fn from(e: E) -> Self {
        AppError::Internal(e.into())
    }
}
