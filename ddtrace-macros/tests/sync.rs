//! `#[traced]` on synchronous functions and methods, through the `ddtrace` facade.

mod common;

use std::fmt;

use common::{exporter, span, trace_of};
use ddtrace::traced;

#[traced]
fn plain(x: u32) -> u32 {
    assert!(ddtrace::active_span().is_recording());
    x + 1
}

#[test]
fn default_name_is_the_module_path_and_the_function() {
    exporter();
    assert_eq!(plain(1), 2);
    let s = span("sync.plain");
    assert_eq!(s.resource, "sync.plain");
    assert_eq!(s.service, "macro-tests");
    assert_eq!(s.error, 0);
    assert!(s.is_root());
    assert!(s.duration > 0);
}

mod nested_module {
    use ddtrace::traced;

    #[traced]
    pub fn inner_fn() {}
}

#[test]
fn default_name_includes_submodules() {
    exporter();
    nested_module::inner_fn();
    span("sync.nested_module.inner_fn");
}

#[traced(
    name = "custom.operation",
    service = "billing",
    resource = "charge card",
    span_type = "custom"
)]
fn customised() {}

#[test]
fn name_service_resource_and_type_can_be_set() {
    exporter();
    customised();
    let s = span("custom.operation");
    assert_eq!(s.service, "billing");
    assert_eq!(s.resource, "charge card");
    assert_eq!(s.span_type, "custom");
}

struct Cart {
    items: Vec<u32>,
}

impl Cart {
    #[traced(name = "cart.total", tags(cart.size = self.items.len()))]
    fn total(&self) -> u32 {
        self.items.iter().sum()
    }

    #[traced(name = "cart.add")]
    fn add(&mut self, item: u32) -> &mut Self {
        self.items.push(item);
        self
    }

    #[traced(name = "cart.into_items", skip(self))]
    fn into_items(self) -> Vec<u32> {
        self.items
    }
}

#[test]
fn methods_with_every_receiver() {
    exporter();
    let mut cart = Cart { items: vec![1, 2] };
    cart.add(3).add(4);
    assert_eq!(cart.total(), 10);
    assert_eq!(cart.into_items().len(), 4);
    assert_eq!(span("cart.total").metric("cart.size"), Some(4.0));
    assert_eq!(common::spans("cart.add").len(), 2);
    span("cart.into_items");
}

#[traced(name = "nested.child")]
fn child() -> u64 {
    ddtrace::active_span().span_id().0
}

#[traced(name = "nested.parent")]
fn parent() -> (u64, u64) {
    let mine = ddtrace::active_span().span_id().0;
    (mine, child())
}

#[test]
fn nested_functions_are_parent_and_child() {
    exporter();
    let (parent_id, child_id) = parent();
    let p = span("nested.parent");
    let c = span("nested.child");
    assert_eq!(p.span_id.0, parent_id);
    assert_eq!(c.span_id.0, child_id);
    assert_eq!(c.parent_id, p.span_id);
    assert_eq!(c.trace_id, p.trace_id);
    assert_eq!(trace_of(&p).len(), 2);
    // The child's span is no longer active once it returned.
    assert!(!ddtrace::active_span().is_recording());
}

#[traced(name = "early.return")]
fn early_return(x: u32) -> u32 {
    if x > 1 {
        return x;
    }
    0
}

#[test]
fn early_returns_finish_the_span() {
    exporter();
    assert_eq!(early_return(5), 5);
    span("early.return");
}

struct User {
    id: u64,
    name: String,
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "user #{}", self.id)
    }
}

#[derive(Debug)]
enum Plan {
    Pro,
}

#[allow(clippy::too_many_arguments)]
#[traced(
    name = "tags.all",
    tags(
        user_id,
        region,
        user.name = user.name,
        "user.display" = %user,
        plan = ?plan,
        literal = "fixed",
        count = 3,
        flag = true,
        missing = None::<u8>,
        r#type = "keyword key",
    )
)]
fn tagged(user_id: u64, region: &str, user: &User, plan: Plan, password: &str) -> usize {
    // Arguments named in `tags` were borrowed, not moved.
    region.len() + user.name.len() + password.len() + format!("{plan:?}").len() + user_id as usize
}

#[test]
fn tags_record_arguments_and_expressions() {
    exporter();
    let user = User {
        id: 7,
        name: "ada".into(),
    };
    tagged(7, "eu", &user, Plan::Pro, "hunter2");
    let s = span("tags.all");
    assert_eq!(s.metric("user_id"), Some(7.0));
    assert_eq!(s.meta("region"), Some("eu"));
    assert_eq!(s.meta("user.name"), Some("ada"));
    assert_eq!(s.meta("user.display"), Some("user #7"));
    assert_eq!(s.meta("plan"), Some("Pro"));
    assert_eq!(s.meta("literal"), Some("fixed"));
    assert_eq!(s.metric("count"), Some(3.0));
    assert_eq!(s.meta("flag"), Some("True"));
    assert_eq!(s.meta("missing"), None);
    assert_eq!(s.metric("missing"), None);
    assert_eq!(s.meta("type"), Some("keyword key"));
    assert!(
        !s.meta.iter().any(|(_, v)| v.contains("hunter2")),
        "unnamed arguments are never recorded: {:?}",
        s.meta
    );
}

#[traced(name = "tags.skip_all", skip_all, tags(user.id = user.id))]
fn skip_all_with_expression(user: &User, _password: &str) {}

#[traced(name = "tags.skip", skip(password), tags(login))]
fn skip_some(login: &str, password: &str) -> usize {
    login.len() + password.len()
}

#[traced(name = "tags.none")]
fn nothing_named(secret: &str) -> usize {
    secret.len()
}

#[test]
fn skip_and_skip_all_record_nothing_more() {
    exporter();
    let user = User {
        id: 9,
        name: "bob".into(),
    };
    skip_all_with_expression(&user, "hunter2");
    skip_some("bob", "hunter2");
    nothing_named("hunter2");
    let all = span("tags.skip_all");
    assert_eq!(all.metric("user.id"), Some(9.0));
    let some = span("tags.skip");
    assert_eq!(some.meta("login"), Some("bob"));
    for s in [all, some, span("tags.none")] {
        assert!(!s.meta.iter().any(|(_, v)| v.contains("hunter2")));
        assert!(s.meta("password").is_none() && s.meta("secret").is_none());
    }
}

#[derive(Debug)]
struct Disk;

impl fmt::Display for Disk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("disk failed")
    }
}

impl std::error::Error for Disk {}

#[derive(Debug)]
struct SaveError(Disk);

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("could not save")
    }
}

impl std::error::Error for SaveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[traced(name = "err.auto", err)]
fn save(fail: bool) -> Result<u32, SaveError> {
    if fail {
        return Err(SaveError(Disk));
    }
    Ok(1)
}

#[traced(name = "err.display", err(Display))]
fn parse_display(input: &str) -> Result<u32, std::num::ParseIntError> {
    let n = input.parse::<u32>()?;
    Ok(n)
}

#[traced(name = "err.debug", err(Debug))]
fn parse_debug(input: &str) -> Result<u32, std::num::ParseIntError> {
    let n = input.parse::<u32>()?;
    Ok(n * 2)
}

#[traced(name = "err.string", err)]
fn fails_with_string() -> Result<(), String> {
    Err("plain message".to_owned())
}

#[traced(name = "err.boxed", err)]
fn fails_with_box() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Err(SaveError(Disk).into())
}

#[test]
fn err_records_the_error_value() {
    exporter();
    assert!(save(false).is_ok());
    assert!(save(true).is_err());
    let spans = common::spans("err.auto");
    assert_eq!(spans.len(), 2);
    let ok = spans.iter().find(|s| s.error == 0).expect("the Ok call");
    assert_eq!(ok.meta("error.message"), None);
    let failed = spans.iter().find(|s| s.error == 1).expect("the Err call");
    assert_eq!(failed.meta("error.message"), Some("could not save"));
    assert!(failed.meta("error.type").unwrap().ends_with("SaveError"));
    assert!(failed.meta("error.stack").unwrap().contains("disk failed"));

    assert!(parse_display("x").is_err());
    let display = span("err.display");
    assert_eq!(display.error, 1);
    assert_eq!(
        display.meta("error.message"),
        Some("invalid digit found in string")
    );
    assert_eq!(
        display.meta("error.type"),
        Some("core::num::error::ParseIntError")
    );

    assert!(parse_debug("x").is_err());
    let debug = span("err.debug");
    assert_eq!(debug.error, 1);
    assert_eq!(
        debug.meta("error.message"),
        Some("ParseIntError { kind: InvalidDigit }")
    );

    assert!(fails_with_string().is_err());
    let string = span("err.string");
    assert_eq!(string.meta("error.message"), Some("plain message"));

    assert!(fails_with_box().is_err());
    assert_eq!(
        span("err.boxed").meta("error.message"),
        Some("could not save")
    );
}

#[traced(name = "panic.inner")]
fn panics_inside() -> u32 {
    panic!("boom")
}

#[traced(name = "panic.outer")]
fn calls_a_panicking_function() -> u32 {
    panics_inside()
}

#[test]
fn a_panic_marks_the_span_and_goes_on() {
    exporter();
    let caught = std::panic::catch_unwind(calls_a_panicking_function);
    let payload = caught.expect_err("the panic goes on");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    for name in ["panic.inner", "panic.outer"] {
        let s = span(name);
        assert_eq!(s.error, 1, "{name}");
        assert_eq!(s.meta("error.type"), Some("panic"));
    }
    assert_eq!(span("panic.inner").parent_id, span("panic.outer").span_id);
}

#[traced(name = "generic.fn", tags(len = items.len()))]
fn generic<T, const N: usize>(items: [T; N]) -> Vec<T>
where
    T: Clone + fmt::Debug,
{
    items.to_vec()
}

#[test]
fn generic_functions() {
    exporter();
    assert_eq!(generic([1, 2, 3]), vec![1, 2, 3]);
    assert_eq!(span("generic.fn").metric("len"), Some(3.0));
}

#[traced(name = "impl.trait.return", err)]
fn returns_impl_trait() -> Result<impl fmt::Display, String> {
    Ok(5)
}

#[test]
fn impl_trait_in_the_return_type() {
    exporter();
    assert_eq!(returns_impl_trait().unwrap().to_string(), "5");
    span("impl.trait.return");
}

#[traced(name = "borrowed.return", err)]
fn first_word(text: &str) -> Result<&str, String> {
    text.split(' ').next().ok_or_else(|| "empty".to_owned())
}

struct Counters {
    hits: Vec<u32>,
}

impl Counters {
    #[traced(name = "borrowed.mut", err)]
    fn slot(&mut self, i: usize) -> Result<&mut u32, String> {
        self.hits.get_mut(i).ok_or_else(|| format!("no slot {i}"))
    }
}

#[test]
fn borrowed_return_values() {
    exporter();
    assert_eq!(first_word("hello world"), Ok("hello"));
    span("borrowed.return");
    let mut counters = Counters { hits: vec![0] };
    *counters.slot(0).unwrap() += 1;
    assert_eq!(counters.hits, [1]);
    assert!(counters.slot(3).is_err());
    assert_eq!(common::spans("borrowed.mut").len(), 2);
}
