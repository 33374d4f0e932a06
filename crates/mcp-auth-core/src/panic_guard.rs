//! A panic inside one verification becomes an error value for that call,
//! never an unwinding through a binding or the runtime.

use crate::error::{AuthError, AuthResult, ErrorCode};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a caught panic becomes: a 500-class error, never a 401 or a 503.
pub fn internal(reason: &str) -> AuthError {
    AuthError::new(ErrorCode::Internal, reason)
}

/// Runs `work`, turning a panic into an internal error value.
pub async fn guarded<T, F>(work: F) -> AuthResult<T>
where
    F: std::future::Future<Output = AuthResult<T>>,
{
    use std::task::Poll;
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(move |cx| {
        match catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx))) {
            Ok(poll) => poll,
            Err(_) => Poll::Ready(Err(internal("internal error while verifying"))),
        }
    })
    .await
}
