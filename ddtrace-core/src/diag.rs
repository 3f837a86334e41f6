//! The tracer's own diagnostics: through `log` when the application has a logger, else on
//! standard error, so that a misconfigured agent address or a bad setting is never silent.
//!
//! The Python tracer's warnings reach stderr even when the application configured no logging
//! (Python's last-resort handler). Rust's `log` facade drops everything until a logger is set,
//! so [`emit`] writes warnings and errors to stderr when no logger is installed, and goes
//! through `log` otherwise (respecting the application's filters).

use std::fmt;

pub use log::Level;

/// Emits a diagnostic from `target` (a module path).
pub fn emit(level: Level, target: &str, args: fmt::Arguments<'_>) {
    if log::max_level() == log::LevelFilter::Off {
        if level <= Level::Warn {
            eprintln!("[ddtrace {level}] {args}");
        }
        return;
    }
    if level > log::max_level() {
        return;
    }
    log::logger().log(
        &log::Record::builder()
            .level(level)
            .target(target)
            .args(args)
            .build(),
    );
}

/// Logs a tracer error (see [`diag`](crate::diag)).
#[macro_export]
macro_rules! diag_error {
    ($($arg:tt)+) => {
        $crate::diag::emit($crate::diag::Level::Error, module_path!(), format_args!($($arg)+))
    };
}

/// Logs a tracer warning (see [`diag`](crate::diag)).
#[macro_export]
macro_rules! diag_warn {
    ($($arg:tt)+) => {
        $crate::diag::emit($crate::diag::Level::Warn, module_path!(), format_args!($($arg)+))
    };
}

/// Logs tracer information (see [`diag`](crate::diag)); dropped when no logger is installed.
#[macro_export]
macro_rules! diag_info {
    ($($arg:tt)+) => {
        $crate::diag::emit($crate::diag::Level::Info, module_path!(), format_args!($($arg)+))
    };
}
