//! A fleet store the application brings as a JavaScript object (`get`,
//! `set`, `setIfAbsent`, `delete`, optional `isReady`), as the core's
//! [`SharedStore`]: its methods are called from Rust through threadsafe
//! functions and their promises awaited. A method that throws, rejects or
//! answers with a wrong type is a store failure (the core's guard counts
//! it, its deadline covers one that never settles); nothing crashes.
//!
//! `isReady` is synchronous JavaScript, so it is asked on the JavaScript
//! thread (`Readiness::refresh`, before a request's work may reach the
//! store) and the answer kept for the core's circuit.
//!
//! A call first waits for the JavaScript thread to start it; the store
//! deadline (`storeTimeout`) counts from then, as it did when the wrapper
//! called the store itself, and the core's guard allows [`DISPATCH_SLACK`]
//! for the wait (a thread stuck longer is an outage too).

use crate::napi_store::NativeStore;
use mcp_auth_core::fleet::store::{SharedStore, StoreError, StoreFuture};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{sys, JsValue};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What a method answered: a value now, or a promise of one.
pub enum Reply<T: FromNapiValue + 'static> {
    Now(T),
    Later(Promise<T>),
}

impl<T: FromNapiValue + 'static> FromNapiValue for Reply<T> {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let mut is_promise = false;
        unsafe { sys::napi_is_promise(env, value, &mut is_promise) };
        Ok(if is_promise {
            Self::Later(unsafe { Promise::from_napi_value(env, value) }?)
        } else {
            Self::Now(unsafe { T::from_napi_value(env, value) }?)
        })
    }
}

impl<T: FromNapiValue + 'static> Reply<T> {
    async fn settle(self) -> Result<T> {
        match self {
            Self::Now(value) => Ok(value),
            Self::Later(promise) => promise.await,
        }
    }
}

/// Any answer (`set` and `delete` answer nothing useful).
pub struct Ignored;

impl FromNapiValue for Ignored {
    unsafe fn from_napi_value(_: sys::napi_env, _: sys::napi_value) -> Result<Self> {
        Ok(Self)
    }
}

/// `isReady()`: anything but `false` is ready, as the wrapper read it.
struct NotFalse(bool);

impl FromNapiValue for NotFalse {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        let unknown = unsafe { Unknown::from_raw_unchecked(env, value) };
        if unknown.get_type()? != ValueType::Boolean {
            return Ok(Self(true));
        }
        Ok(Self(unsafe { bool::from_napi_value(env, value) }?))
    }
}

type Method<A, R> = ThreadsafeFunction<A, Reply<R>, A, Status, false, true>;
type KeyArgs = FnArgs<(String,)>;
type WriteArgs = FnArgs<(String, String, f64)>;

/// How long a call may wait for the JavaScript thread to start it, beyond the deadline.
pub const DISPATCH_SLACK: Duration = Duration::from_secs(1);

pub struct JsStore {
    /// `storeTimeout` in ms, set once the core has checked it.
    deadline: Arc<AtomicU64>,
    get: Method<KeyArgs, Option<String>>,
    set: Method<WriteArgs, Ignored>,
    set_if_absent: Method<WriteArgs, bool>,
    delete: Method<KeyArgs, Ignored>,
    ready: Arc<AtomicBool>,
}

/// Asks a JavaScript store's `isReady` on the JavaScript thread.
pub struct Readiness {
    is_ready: FunctionRef<(), NotFalse>,
    ready: Arc<AtomicBool>,
}

impl Readiness {
    /// Called on the JavaScript thread; a throw is "not ready".
    pub fn refresh(&self, env: &Env) {
        let ready = self
            .is_ready
            .borrow_back(env)
            .and_then(|f| f.call(()))
            .is_ok_and(|NotFalse(ready)| ready);
        // A throw is already cleared by `call` (it became the `Err`).
        self.ready.store(ready, Ordering::Relaxed);
    }
}

fn not_a_store() -> mcp_auth_core::error::AuthError {
    mcp_auth_core::error::AuthError::config(
        "`store` must have get, set, setIfAbsent and delete methods (see `redisStore`).",
    )
}

/// The store behind `value`: a `NativeStore` handle (or an object whose
/// `nativeStore` is one) used directly, else a JavaScript object with the
/// four methods. `Err` carries the core's refusal.
/// A store from JavaScript: the core's handle, whether it is a JavaScript
/// object (its deadline to set, `Some`) and its `isReady`.
pub struct FoundStore {
    pub store: Arc<dyn SharedStore>,
    pub deadline: Option<Arc<AtomicU64>>,
    pub readiness: Option<Readiness>,
}

pub fn shared_store(
    env: &Env,
    value: Unknown<'_>,
) -> std::result::Result<FoundStore, ErrorOrConfig> {
    if let Some(native) = native_store(env, value)? {
        return Ok(FoundStore {
            store: native,
            deadline: None,
            readiness: None,
        });
    }
    if value.get_type()? != ValueType::Object && value.get_type()? != ValueType::Function {
        return Err(ErrorOrConfig::Config(not_a_store()));
    }
    let object = Object::from_raw(env.raw(), value.raw());
    let method = |name: &str| -> std::result::Result<Unknown<'_>, ErrorOrConfig> {
        match object.get::<Unknown>(name)? {
            Some(f) if f.get_type()? == ValueType::Function => Ok(f),
            _ => Err(ErrorOrConfig::Config(not_a_store())),
        }
    };
    let bind = |name: &str| -> std::result::Result<sys::napi_value, ErrorOrConfig> {
        let f: Function<Unknown, Unknown> =
            unsafe { Function::from_napi_value(env.raw(), method(name)?.raw()) }?;
        Ok(f.bind(object)?.raw())
    };
    let (get, set, set_if_absent, delete) = (
        bind("get")?,
        bind("set")?,
        bind("setIfAbsent")?,
        bind("delete")?,
    );
    let ready = Arc::new(AtomicBool::new(true));
    let readiness = match object.get::<Unknown>("isReady")? {
        Some(f) if f.get_type()? == ValueType::Function => {
            let f: Function<(), NotFalse> =
                unsafe { Function::from_napi_value(env.raw(), f.raw()) }?;
            let readiness = Readiness {
                is_ready: f.bind(object)?.create_ref()?,
                ready: ready.clone(),
            };
            readiness.refresh(env);
            Some(readiness)
        }
        _ => None,
    };
    let deadline = Arc::new(AtomicU64::new(250));
    let store = JsStore {
        deadline: deadline.clone(),
        get: threadsafe(env, get)?,
        set: threadsafe(env, set)?,
        set_if_absent: threadsafe(env, set_if_absent)?,
        delete: threadsafe(env, delete)?,
        ready,
    };
    Ok(FoundStore {
        store: Arc::new(store),
        deadline: Some(deadline),
        readiness,
    })
}

/// A napi failure, or the core's refusal of the value.
pub enum ErrorOrConfig {
    Napi(Error),
    Config(mcp_auth_core::error::AuthError),
}

impl From<Error> for ErrorOrConfig {
    fn from(error: Error) -> Self {
        Self::Napi(error)
    }
}

fn native_store(env: &Env, value: Unknown<'_>) -> Result<Option<Arc<dyn SharedStore>>> {
    if value.get_type()? != ValueType::Object {
        return Ok(None);
    }
    if let Ok(native) =
        unsafe { ClassInstance::<NativeStore>::from_napi_value(env.raw(), value.raw()) }
    {
        return Ok(Some(native.inner.clone()));
    }
    let object = Object::from_raw(env.raw(), value.raw());
    match object.get::<Unknown>("nativeStore")? {
        Some(inner) if inner.get_type()? == ValueType::Object => {
            Ok(
                unsafe { ClassInstance::<NativeStore>::from_napi_value(env.raw(), inner.raw()) }
                    .ok()
                    .map(|native| native.inner.clone()),
            )
        }
        _ => Ok(None),
    }
}

/// A weak threadsafe function (it never keeps the process alive) over a bound method.
fn threadsafe<A: JsValuesTupleIntoVec + 'static, R: FromNapiValue + 'static>(
    env: &Env,
    bound: sys::napi_value,
) -> Result<Method<A, R>> {
    let f: Function<A, Reply<R>> = unsafe { Function::from_napi_value(env.raw(), bound) }?;
    f.build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .build()
}

/// A JavaScript failure as a store error: the thrown value's message only
/// (the core's guard removes URL credentials from it).
fn failure(error: Error) -> StoreError {
    StoreError(error.reason.clone())
}

impl JsStore {
    /// Calls the method, then waits for its answer up to the deadline.
    async fn ask<A: JsValuesTupleIntoVec + 'static, R: FromNapiValue + Send + 'static>(
        &self,
        method: &Method<A, R>,
        args: A,
    ) -> std::result::Result<R, StoreError> {
        let reply = method.call_async_catch(args).await.map_err(failure)?;
        let deadline = Duration::from_millis(self.deadline.load(Ordering::Relaxed));
        match tokio::time::timeout(deadline, reply.settle()).await {
            Ok(answer) => answer.map_err(failure),
            Err(_) => Err(StoreError(format!(
                "no answer within {} ms",
                deadline.as_millis()
            ))),
        }
    }
}

/// A TTL in whole milliseconds, as the wrapper passed it.
fn millis(ttl: Duration) -> f64 {
    ttl.as_millis() as f64
}

impl SharedStore for JsStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>> {
        Box::pin(self.ask(&self.get, FnArgs::from((key.to_owned(),))))
    }

    fn set<'a>(&'a self, key: &'a str, value: &'a str, ttl: Duration) -> StoreFuture<'a, ()> {
        let args = FnArgs::from((key.to_owned(), value.to_owned(), millis(ttl)));
        Box::pin(async move { self.ask(&self.set, args).await.map(|_| ()) })
    }

    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, bool> {
        let args = FnArgs::from((key.to_owned(), value.to_owned(), millis(ttl)));
        Box::pin(self.ask(&self.set_if_absent, args))
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let args = FnArgs::from((key.to_owned(),));
        Box::pin(async move { self.ask(&self.delete, args).await.map(|_| ()) })
    }

    fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }
}
