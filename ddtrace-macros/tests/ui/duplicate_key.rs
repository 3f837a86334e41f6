use ddtrace::traced;

#[traced(name = "a", name = "b")]
fn twice() {}

#[traced(tags(user.id = 1, user.id = 2))]
fn same_tag_twice() {}

#[traced(skip_all, skip(a))]
fn skip_and_skip_all(a: u32) {
    let _ = a;
}

fn main() {
    twice();
    same_tag_twice();
    skip_and_skip_all(1);
}
