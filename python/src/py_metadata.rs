//! `MetadataResponder`: the core's answers at the metadata documents' exact
//! paths (`decision/metadata_responder.rs`), converted for Python.

use crate::py_error::entry;
use mcp_auth_core::decision::{
    MetadataAnswer, MetadataEndpoint, MetadataResponder as CoreResponder, Response,
};
use pyo3::prelude::*;

/// `(status, headers, endpoint, body)`: `endpoint` is the index of the
/// document to send; otherwise `body` is the whole body.
type Reply = (u16, Vec<(String, String)>, Option<usize>, String);

#[pyclass(frozen, module = "mcp_auth_rs._native")]
pub struct MetadataResponder {
    inner: CoreResponder,
}

#[pymethods]
impl MetadataResponder {
    /// `endpoints`: `(path, query)` per document; query `""` means none.
    #[new]
    fn new(py: Python<'_>, endpoints: Vec<(String, String)>) -> PyResult<Self> {
        entry(py, || {
            let endpoints = endpoints
                .into_iter()
                .map(|(path, query)| MetadataEndpoint { path, query })
                .collect();
            Ok(Self {
                inner: CoreResponder::new(endpoints),
            })
        })
    }

    /// `None`: not a request for a document. `query`: `None` without one.
    #[pyo3(signature = (method, path, query, requested_headers))]
    fn answer(
        &self,
        py: Python<'_>,
        method: &str,
        path: &str,
        query: Option<&str>,
        requested_headers: Option<&str>,
    ) -> PyResult<Option<Reply>> {
        entry(py, || {
            Ok(self
                .inner
                .answer(method, path, query, requested_headers)
                .map(|answer| match answer {
                    MetadataAnswer::Document { endpoint, response } => {
                        reply(response, Some(endpoint))
                    }
                    MetadataAnswer::Respond(response) => reply(response, None),
                }))
        })
    }

    /// The 404 for a path with a document but another query.
    #[staticmethod]
    fn not_found(py: Python<'_>) -> PyResult<Reply> {
        entry(py, || Ok(reply(CoreResponder::not_found(), None)))
    }
}

fn reply(response: Response, endpoint: Option<usize>) -> Reply {
    (response.status, response.headers, endpoint, response.body)
}
