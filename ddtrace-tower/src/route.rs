//! [`set_route`]: reporting the matched route from inside the handler.

/// Reports the route template of the request being handled (`/users/{id}`), for `http.route`
/// and the resource (`GET /users/{id}`) of its server span.
///
/// Call it from the handler, or from a layer that runs after routing, when the
/// [`DdTraceLayer`](crate::DdTraceLayer) runs before routing and cannot see the route (for
/// example around a whole `axum::Router` served through hyper). It tags the local root span of
/// the active trace, which is the server span inside a handler; outside a traced request it
/// does nothing.
///
/// ```
/// async fn get_user(/* Path(id): Path<u64> */) -> &'static str {
///     ddtrace_tower::set_route("/users/{id}");
///     "user"
/// }
/// ```
pub fn set_route(route: &str) {
    ddtrace_core::active_span().set_local_root_meta("http.route", route.to_owned());
}
