//! One completion channel per `Verifier` for every promise it returns.
//!
//! napi-rs gives each deferred its own threadsafe function; created and torn
//! down per call, that was most of the cost of settling a promise from a
//! worker. Here one threadsafe function, made at construction, carries every
//! completion to the JS thread, where Node drains the queue in batches. It is
//! unreferenced while nothing is pending, so an idle verifier never keeps the
//! process alive, and referenced while a promise waits on it, so a script
//! awaiting a key fetch does not exit early.

use napi::bindgen_prelude::{Env, JsError, Result, Status};
use napi::sys;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

/// Builds the settled value on the JS thread (`Err` rejects the promise).
pub type Settle = Box<dyn FnOnce(&Env) -> Result<sys::napi_value> + Send>;

struct Completion {
    deferred: sys::napi_deferred,
    settle: Settle,
}

struct Shared {
    tsfn: sys::napi_threadsafe_function,
    /// Promises not yet settled; touched on the JS thread only.
    pending: AtomicUsize,
    /// Set when Node has finalized the threadsafe function (environment
    /// teardown): from then on it must not be called.
    closed: RwLock<bool>,
}

// The raw handles are only used as Node-API documents for threadsafe functions.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}
unsafe impl Send for Completion {}

/// Holds the threadsafe function open; the last holder (the verifier or a
/// ticket still in flight) releases it.
struct Handle {
    shared: Arc<Shared>,
}

pub struct Completions {
    handle: Arc<Handle>,
}

/// A promise created on the JS thread, to be settled from any thread.
pub struct Ticket {
    handle: Arc<Handle>,
    deferred: sys::napi_deferred,
}

unsafe impl Send for Ticket {}

fn check(status: sys::napi_status) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            Status::GenericFailure,
            "Node-API call failed in the completion channel",
        ))
    }
}

unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    let shared = Arc::from_raw(data as *const Shared);
    *shared.closed.write().unwrap_or_else(|e| e.into_inner()) = true;
}

unsafe extern "C" fn call_js(
    env: sys::napi_env,
    _callback: sys::napi_value,
    context: *mut c_void,
    data: *mut c_void,
) {
    let completion = Box::from_raw(data as *mut Completion);
    // A null env means teardown: nothing can be settled any more.
    if env.is_null() {
        return;
    }
    let shared = &*(context as *const Shared);
    let Completion { deferred, settle } = *completion;
    let env_ref = Env::from_raw(env);
    let value = catch_unwind(AssertUnwindSafe(|| settle(&env_ref))).unwrap_or_else(|_| {
        Err(napi::Error::new(
            Status::GenericFailure,
            "internal error while settling a verification",
        ))
    });
    match value {
        Ok(value) => sys::napi_resolve_deferred(env, deferred, value),
        Err(error) => {
            sys::napi_reject_deferred(env, deferred, JsError::from(error).into_value(env))
        }
    };
    if shared.pending.fetch_sub(1, Ordering::Relaxed) == 1 {
        sys::napi_unref_threadsafe_function(env, shared.tsfn);
    }
}

impl Completions {
    pub fn new(env: &Env) -> Result<Self> {
        let shared = Arc::new(Shared {
            tsfn: ptr::null_mut(),
            pending: AtomicUsize::new(0),
            closed: RwLock::new(false),
        });
        let mut name = ptr::null_mut();
        let label = "mcp-auth-rs completions";
        let mut tsfn = ptr::null_mut();
        unsafe {
            check(sys::napi_create_string_utf8(
                env.raw(),
                label.as_ptr().cast(),
                label.len() as isize,
                &mut name,
            ))?;
            // The finalizer owns one reference; `context` borrows it.
            let owned = Arc::into_raw(shared.clone()) as *mut c_void;
            let created = sys::napi_create_threadsafe_function(
                env.raw(),
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                owned,
                Some(finalize),
                owned,
                Some(call_js),
                &mut tsfn,
            );
            if created != sys::Status::napi_ok {
                drop(Arc::from_raw(owned as *const Shared));
                check(created)?;
            }
            check(sys::napi_unref_threadsafe_function(env.raw(), tsfn))?;
        }
        // Set once, before any other thread can see `shared`.
        let shared = unsafe {
            let raw = Arc::as_ptr(&shared) as *mut Shared;
            (*raw).tsfn = tsfn;
            shared
        };
        Ok(Self {
            handle: Arc::new(Handle { shared }),
        })
    }

    /// A new pending promise and the ticket that settles it.
    pub fn promise(&self, env: &Env) -> Result<(sys::napi_value, Ticket)> {
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        unsafe {
            check(sys::napi_create_promise(
                env.raw(),
                &mut deferred,
                &mut promise,
            ))?;
            let shared = &self.handle.shared;
            if shared.pending.fetch_add(1, Ordering::Relaxed) == 0 {
                sys::napi_ref_threadsafe_function(env.raw(), shared.tsfn);
            }
        }
        let ticket = Ticket {
            handle: self.handle.clone(),
            deferred,
        };
        Ok((promise, ticket))
    }
}

/// A promise settled already, without the channel: `Err` rejects it.
pub fn settled(env: &Env, value: Result<sys::napi_value>) -> Result<sys::napi_value> {
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    unsafe {
        check(sys::napi_create_promise(
            env.raw(),
            &mut deferred,
            &mut promise,
        ))?;
        check(match value {
            Ok(value) => sys::napi_resolve_deferred(env.raw(), deferred, value),
            Err(error) => sys::napi_reject_deferred(
                env.raw(),
                deferred,
                JsError::from(error).into_value(env.raw()),
            ),
        })?;
    }
    Ok(promise)
}

impl Ticket {
    /// Queues the settlement; callable from any thread.
    pub fn settle(mut self, settle: Settle) {
        let deferred = std::mem::replace(&mut self.deferred, ptr::null_mut());
        let completion = Box::into_raw(Box::new(Completion { deferred, settle }));
        let shared = &self.handle.shared;
        let closed = shared.closed.read().unwrap_or_else(|e| e.into_inner());
        let queued = !*closed
            && unsafe {
                sys::napi_call_threadsafe_function(
                    shared.tsfn,
                    completion.cast(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            } == sys::Status::napi_ok;
        if !queued {
            // Node is shutting down: the promise can never settle.
            drop(unsafe { Box::from_raw(completion) });
        }
    }
}

impl Drop for Ticket {
    /// A ticket dropped unsettled (its task panicked or was cancelled) still
    /// settles, so no promise waits forever and the process can exit.
    fn drop(&mut self) {
        if !self.deferred.is_null() {
            let ticket = Ticket {
                handle: self.handle.clone(),
                deferred: std::mem::replace(&mut self.deferred, ptr::null_mut()),
            };
            ticket.settle(Box::new(|env| {
                Err(crate::js_error::js_error(
                    env,
                    &crate::js_error::internal("verification was abandoned"),
                ))
            }));
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let closed = self.shared.closed.read().unwrap_or_else(|e| e.into_inner());
        if !*closed {
            unsafe {
                sys::napi_release_threadsafe_function(
                    self.shared.tsfn,
                    sys::ThreadsafeFunctionReleaseMode::release,
                );
            }
        }
    }
}
