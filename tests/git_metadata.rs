//! `ddtrace::embed_git_metadata!`: the commit and repository of the build reach the
//! configuration, and values given at run time win.

use ddtrace::Config;

#[test]
fn the_macro_passes_the_build_environment_and_run_time_values_win() {
    let built = ddtrace::embed_git_metadata!(Config::builder_without_env()).build();
    assert_eq!(
        built.git_commit_sha.as_deref(),
        option_env!("DD_GIT_COMMIT_SHA").filter(|v| !v.is_empty())
    );
    let set = ddtrace::embed_git_metadata!(
        Config::builder_without_env()
            .git_commit_sha("run-time")
            .git_repository_url("https://github.com/o/r")
    )
    .build();
    assert_eq!(set.git_commit_sha.as_deref(), Some("run-time"));
    assert_eq!(
        set.git_repository_url.as_deref(),
        Some("https://github.com/o/r")
    );
}
