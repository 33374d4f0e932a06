//! The fleet store: state that the processes of one deployment share
//! (introspection verdicts, DPoP replay markers, exchanged tokens), so that N processes behind
//! a load balancer do not multiply caches and replay windows by N. Every
//! binding reaches it through the one [`store::SharedStore`] interface; the
//! rules on top of it are written here once: the circuit (`circuit.rs`),
//! deadlines and outage events (`guard.rs`), signed records (`records.rs`)
//! and scope ids (`scope.rs`), lock-and-poll (`single_flight.rs`) (in-process
//! coalescing is `crate::in_flight`), and the two users: introspection
//! (`introspection.rs`) and the DPoP replay claim (`dpop.rs`), and token
//! exchange (`exchange.rs`), whose records hold issued tokens and so are
//! encrypted too (`cipher.rs`, `sealed.rs`).
//! `memory.rs` is a store in this process's memory, for tests.

pub mod cipher;
pub mod circuit;
pub mod dpop;
pub mod exchange;
pub mod guard;
pub mod introspection;
pub mod memory;
pub mod records;
pub mod redis_store;
pub mod scope;
pub mod sealed;
pub mod single_flight;
pub mod store;
