//! The fleet store's arguments from JavaScript: the store itself (a
//! `NativeStore` or an object, `js_store.rs`), the fleet secret (a string or
//! a `Uint8Array`, as bytes for the core to check) and the listener that
//! receives the core's store events, with the shapes the wrapper's events
//! always had.

use crate::js_error::js_error;
use crate::js_store::{shared_store, ErrorOrConfig, FoundStore, Readiness, DISPATCH_SLACK};
use mcp_auth_core::fleet::guard::{EventSink, StoreEvent};
use mcp_auth_core::fleet::records::StoreSecret;
use mcp_auth_core::fleet::store::SharedStore;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{sys, JsValue};
use napi_derive::napi;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A store event as listeners receive it: `store_unavailable` (with
/// `operation` and `reason`), `store_recovered`, `store_record_rejected`
/// (with `reason`).
#[napi(object, object_from_js = false, js_name = "StoreEvent")]
pub struct StoreEventJs {
    #[napi(ts_type = "'store_unavailable' | 'store_recovered' | 'store_record_rejected'")]
    pub r#type: String,
    pub operation: Option<String>,
    pub reason: Option<String>,
}

impl From<StoreEvent> for StoreEventJs {
    fn from(event: StoreEvent) -> Self {
        let r#type = event.kind().to_owned();
        match event {
            StoreEvent::Unavailable { operation, reason } => Self {
                r#type,
                operation: Some(operation.as_str().to_owned()),
                reason: Some(reason),
            },
            StoreEvent::Recovered => Self {
                r#type,
                operation: None,
                reason: None,
            },
            StoreEvent::RecordRejected { reason } => Self {
                r#type,
                operation: None,
                reason: Some(reason.as_str().to_owned()),
            },
        }
    }
}

type EventCallback = ThreadsafeFunction<StoreEventJs, (), StoreEventJs, Status, false, true>;

/// Delivers events on the JavaScript thread; held weakly, and a listener
/// that throws changes nothing.
fn event_sink(callback: Function<StoreEventJs, ()>) -> Result<EventSink> {
    let tsfn: EventCallback = callback
        .build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    Ok(Arc::new(move |event: StoreEvent| {
        tsfn.call_with_return_value(
            event.into(),
            ThreadsafeFunctionCallMode::NonBlocking,
            |_, _| Ok(()),
        );
    }))
}

/// A fleet store from JavaScript, with what the core needs around it.
pub struct FleetInput {
    pub store: Arc<dyn SharedStore>,
    pub readiness: Option<Arc<Readiness>>,
    pub events: Option<EventSink>,
    /// A JavaScript store's deadline, set once the core checked `storeTimeout`.
    deadline: Option<Arc<AtomicU64>>,
}

impl FleetInput {
    /// How much the core's guard allows for reaching the store's thread.
    pub fn dispatch_slack(&self) -> Duration {
        if self.deadline.is_some() {
            DISPATCH_SLACK
        } else {
            Duration::ZERO
        }
    }

    /// Hands the checked deadline to a JavaScript store.
    pub fn set_deadline(&self, timeout: Duration) {
        if let Some(deadline) = &self.deadline {
            deadline.store(timeout.as_millis() as u64, Ordering::Relaxed);
        }
    }
}

/// `None` without a store; a coded `invalid_config` error for a value
/// that is no store.
pub fn fleet_input(
    env: &Env,
    store: Option<Unknown<'_>>,
    on_event: Option<Function<StoreEventJs, ()>>,
) -> Result<Option<FleetInput>> {
    let Some(store) =
        store.filter(|s| !matches!(s.get_type(), Ok(ValueType::Undefined | ValueType::Null)))
    else {
        return Ok(None);
    };
    let FoundStore {
        store,
        deadline,
        readiness,
    } = match shared_store(env, store) {
        Ok(found) => found,
        Err(ErrorOrConfig::Napi(error)) => return Err(error),
        Err(ErrorOrConfig::Config(refusal)) => return Err(js_error(env, &refusal)),
    };
    Ok(Some(FleetInput {
        store,
        readiness: readiness.map(Arc::new),
        events: on_event.map(event_sink).transpose()?,
        deadline,
    }))
}

/// With a store given (`store` neither absent, `undefined` nor `null`),
/// its secret checked by the core under `option`'s name; `None` without a
/// store. Checked before anything else sees it; its value never appears in an error.
pub fn checked_store_secret(
    env: &Env,
    store: Option<&Unknown<'_>>,
    secret: Option<Unknown<'_>>,
    option: &str,
) -> Result<Option<StoreSecret>> {
    let has_store =
        store.is_some_and(|s| !matches!(s.get_type(), Ok(ValueType::Undefined | ValueType::Null)));
    if !has_store {
        return Ok(None);
    }
    let bytes = secret_bytes(env, secret)?;
    StoreSecret::new(
        bytes.as_deref(),
        option,
        "a string or a Uint8Array (Buffer)",
    )
    .map(Some)
    .map_err(|e| js_error(env, &e))
}

/// The secret's bytes: a string's UTF-8, or a `Uint8Array`'s (a `Buffer`
/// is one); `None` for any other value, which the core refuses by name.
pub fn secret_bytes(env: &Env, value: Option<Unknown<'_>>) -> Result<Option<Vec<u8>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    match value.get_type()? {
        ValueType::String => Ok(Some(
            unsafe { String::from_napi_value(env.raw(), value.raw()) }?.into_bytes(),
        )),
        ValueType::Object => {
            let mut is_typed = false;
            unsafe { sys::napi_is_typedarray(env.raw(), value.raw(), &mut is_typed) };
            if !is_typed {
                return Ok(None);
            }
            let mut kind = 0;
            let mut length = 0;
            let mut data = std::ptr::null_mut();
            let mut buffer = std::ptr::null_mut();
            let mut offset = 0;
            let status = unsafe {
                sys::napi_get_typedarray_info(
                    env.raw(),
                    value.raw(),
                    &mut kind,
                    &mut length,
                    &mut data,
                    &mut buffer,
                    &mut offset,
                )
            };
            if status != sys::Status::napi_ok || kind != sys::TypedarrayType::uint8_array {
                return Ok(None);
            }
            if length == 0 || data.is_null() {
                return Ok(Some(Vec::new()));
            }
            Ok(Some(
                unsafe { std::slice::from_raw_parts(data as *const u8, length) }.to_vec(),
            ))
        }
        _ => Ok(None),
    }
}
