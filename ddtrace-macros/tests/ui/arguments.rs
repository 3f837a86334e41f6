use ddtrace::traced;

#[traced(skip(pasword))]
fn skip_typo(password: &str) {
    let _ = password;
}

#[traced(tags(user))]
fn not_an_argument(user_id: u64) {
    let _ = user_id;
}

#[traced(skip(password), tags(password))]
fn skipped_and_recorded(password: &str) {
    let _ = password;
}

#[traced(skip_all, tags(login))]
fn skip_all_and_recorded(login: &str) {
    let _ = login;
}

fn main() {
    skip_typo("");
    not_an_argument(1);
    skipped_and_recorded("");
    skip_all_and_recorded("");
}
