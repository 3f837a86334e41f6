//! The `#[traced]` attribute: one span around every call of a function.
//!
//! Use it through the `ddtrace` crate, which re-exports it; the expansion refers to
//! `::ddtrace`, so a crate that uses the attribute depends on `ddtrace`, not on this crate.
//!
//! ```
//! use ddtrace::export::InMemoryExporter;
//! use ddtrace::{Config, Tracer, traced};
//!
//! #[derive(Debug)]
//! struct OutOfStock;
//! # impl std::fmt::Display for OutOfStock {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//! #         f.write_str("out of stock")
//! #     }
//! # }
//! # impl std::error::Error for OutOfStock {}
//!
//! // A span named after the module and the function (`shop.checkout.reserve` in a module
//! // `checkout` of a crate `shop`), tagged with the number of items; an `Err` marks it as an
//! // error. The arguments themselves are not recorded.
//! #[traced(tags(cart.items = items.len()), err)]
//! fn reserve(items: &[u32]) -> Result<u64, OutOfStock> {
//!     items.iter().map(|&i| if i > 0 { Ok(u64::from(i)) } else { Err(OutOfStock) }).sum()
//! }
//!
//! // An async function's span stays active across `.await`s, for this future only.
//! #[traced(name = "checkout.process", resource = "POST /checkout", tags(user_id))]
//! async fn process(user_id: u64, items: Vec<u32>) -> Result<u64, OutOfStock> {
//!     tokio::task::yield_now().await;
//!     reserve(&items) // a child span
//! }
//!
//! // Programs install their tracer once at start-up; this one keeps spans in memory.
//! let exporter = InMemoryExporter::new();
//! let tracer = Tracer::builder()
//!     .config(Config::builder_without_env().service("shop").build())
//!     .exporter(exporter.clone())
//!     .build();
//! ddtrace::set_global_tracer(tracer).unwrap();
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! assert_eq!(runtime.block_on(process(42, vec![2, 3])).unwrap(), 5);
//!
//! let spans = exporter.spans();
//! let process = spans.iter().find(|s| s.name == "checkout.process").unwrap();
//! assert_eq!(process.resource, "POST /checkout");
//! assert_eq!(process.metric("user_id"), Some(42.0));
//! let child = spans.iter().find(|s| s.name.ends_with(".reserve")).unwrap();
//! assert_eq!(child.parent_id, process.span_id);
//! assert_eq!(child.metric("cart.items"), Some(2.0));
//!
//! assert!(reserve(&[0]).is_err());
//! let failed = exporter.spans().into_iter().find(|s| s.error == 1).unwrap();
//! assert_eq!(failed.meta("error.message"), Some("out of stock"));
//! ```
//!
//! # Arguments
//!
//! | argument | effect |
//! | --- | --- |
//! | `name = "..."` | the operation name (default: `module.path.function`, from `module_path!()` with `::` written as `.`, as the Python tracer names wrapped functions `module.function`; a method is named after its module too, as the attribute cannot see its `impl`) |
//! | `service = "..."` | the service (default: the parent span's, or the tracer's for a root) |
//! | `resource = "..."` | the resource (default: the name) |
//! | `span_type = "..."` | the span type (`web`, `http`, `sql`, `custom`, ...; default: none) |
//! | `tags(key = expr, ...)` | tags set when the span starts (see below) |
//! | `skip(arg, ...)`, `skip_all` | arguments that must never be recorded |
//! | `err`, `err(Display)`, `err(Debug)` | record an `Err` return value as the span's error |
//!
//! Values are string literals: a resource computed at run time is set from inside the function,
//! through `ddtrace::active_span().set_resource(...)`.
//!
//! # Tags and arguments
//!
//! Arguments are **never recorded unless named**: they may hold secrets. `tags(...)` names what
//! to record; each entry is evaluated once, when the span starts, with the arguments in scope,
//! and only when tracing is enabled:
//!
//! - `tags(user_id)`: the argument `user_id`, under the key `user_id`;
//! - `tags(user.id = user.id)`, `tags("http.route" = "/cart")`: any expression, under a dotted
//!   or quoted key;
//! - `tags(user = %user)`, `tags(query = ?query)`: the expression's `Display` or `Debug` text.
//!
//! A value is taken by reference (naming an argument does not move it) and converted as
//! `ddtrace::IntoTagValue` says: strings (of any lifetime) go to `meta`, numbers to `metrics`,
//! `bool` to `"True"`/`"False"`, `None` to nothing. Other types need `%` or `?`.
//!
//! `skip(password)` and `skip_all` make "never recorded" explicit, and let code written for
//! `tracing`'s `#[instrument]` carry over: naming a skipped argument in `tags(...)` is an error.
//! `tags(key = expr)` may still use skipped arguments in expressions, as in
//! `skip_all, tags(user.id = user.id)`.
//!
//! # Errors and panics
//!
//! With `err`, a function returning `Result` marks its span as an error when it returns `Err`,
//! with `error.message`, `error.type` (the error's Rust type) and, for `err` alone on a
//! `std::error::Error`, `error.stack` (the chain of sources, and a backtrace when
//! `RUST_BACKTRACE` asks for one). `err` alone uses `Display` for errors that are not
//! `std::error::Error`; `err(Display)` and `err(Debug)` choose the message's formatting.
//!
//! A panic that unwinds out of a traced function marks its span as an error with
//! `error.type = "panic"` (and `error.stack` when backtraces are enabled); the panic goes on
//! unchanged.
//!
//! # Asynchronous functions
//!
//! The span covers the whole body and is active only while the function's own future is
//! polled: other tasks on the same thread never see it. This holds for `async fn`, for
//! functions returning `impl Future` (the span is also active while the function builds its
//! future), and for methods of `#[async_trait]` impls (put `#[traced]` on the method, under
//! `#[async_trait]`). The span of an `async fn` starts at the first poll; the others start when
//! the function is called. Other functions that return a future (one built with
//! `FutureExt::boxed`, say) are traced as synchronous functions: their span covers building the
//! future, not running it; make them `async fn`, or return `impl Future`.
//!
//! # Cost
//!
//! With tracing disabled, a traced function makes one out-of-line call to read the global
//! tracer, branches on it and runs its body; tag expressions are not evaluated and the error is
//! not looked at. `benches/traced.rs` measures it against the same function without the
//! attribute: a couple of nanoseconds more per call.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod args;
mod expand;

use proc_macro::TokenStream;

/// Traces every call of a function; see the [crate documentation](crate) for the arguments.
///
/// ```
/// # use ddtrace::traced;
/// #[traced(tags(order_id), err)]
/// fn ship(order_id: u64) -> Result<(), std::io::Error> {
///     Ok(())
/// }
/// # ship(1).unwrap();
/// ```
#[proc_macro_attribute]
pub fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::traced(args.into(), item.into()).into()
}
