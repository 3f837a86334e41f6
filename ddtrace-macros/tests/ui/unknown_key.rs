use ddtrace::traced;

#[traced(name = "ok", nmae = "typo")]
fn work() {}

fn main() {
    work();
}
