use ddtrace::traced;

#[traced]
struct Order {
    id: u64,
}

trait Store {
    #[traced]
    fn load(&self);
}

#[traced]
const fn fixed() -> u32 {
    1
}

fn main() {
    let _ = Order { id: 1 };
    let _ = fixed();
}
