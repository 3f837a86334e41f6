use ddtrace::traced;

struct User {
    id: u64,
}

#[traced(tags(user))]
fn record_a_struct(user: User) -> u64 {
    user.id
}

#[traced(err)]
fn err_without_result() -> u32 {
    1
}

struct Opaque;

#[traced(err)]
fn err_not_display() -> Result<(), Opaque> {
    Ok(())
}

fn main() {
    record_a_struct(User { id: 1 });
    err_without_result();
    let _ = err_not_display();
}
