use ddtrace::traced;

#[traced(service = 42)]
fn number() {}

const NAME: &str = "work";

#[traced(name = NAME)]
fn constant() {}

#[traced(err(Json))]
fn bad_err_format() -> Result<(), String> {
    Ok(())
}

fn main() {
    number();
    constant();
    let _ = bad_err_format();
}
