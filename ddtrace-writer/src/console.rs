//! [`ConsoleExporter`]: traces printed as indented waterfalls, for local development and for
//! seeing what a program traces without an agent.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Mutex;

use ddtrace_core::export::{Exporter, TraceChunk};
use ddtrace_core::{SpanData, SpanId};

/// Width of the duration bar, in characters.
const BAR_WIDTH: usize = 24;

/// Prints every finished trace chunk as an indented waterfall: one line per span with its
/// name, service, resource, duration, a bar placing it in time within the chunk, and `!` for
/// errors.
///
/// ```text
/// trace 4b2f...c91e  (shop, 3 spans, priority 1)
///   web.request       shop   GET /checkout      12.4 ms |████████████████████████|
///     checkout.total  shop   checkout.total      1.2 ms |  ██                    |
///     db.query        shop   SELECT * FROM ...   9.8 ms |     ███████████████████| !
/// ```
///
/// Writing to a terminal takes the calling thread's time (microseconds per trace): meant for
/// development, not for production traffic, where [`AgentWriter`](crate::AgentWriter) sends to
/// the agent from a background thread.
///
/// ```
/// use ddtrace_core::{Config, Tracer};
/// use ddtrace_writer::ConsoleExporter;
///
/// let tracer = Tracer::builder()
///     .config(Config::builder_without_env().service("demo").build())
///     .exporter(ConsoleExporter::stdout())
///     .build();
/// drop(tracer.trace("work").start()); // prints one waterfall
/// ```
pub struct ConsoleExporter {
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for ConsoleExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleExporter").finish_non_exhaustive()
    }
}

impl ConsoleExporter {
    /// Prints to standard output.
    pub fn stdout() -> Self {
        Self::to_writer(std::io::stdout())
    }

    /// Prints to standard error.
    pub fn stderr() -> Self {
        Self::to_writer(std::io::stderr())
    }

    /// Prints to any writer (a file, a buffer in tests).
    pub fn to_writer(out: impl Write + Send + 'static) -> Self {
        ConsoleExporter {
            out: Mutex::new(Box::new(out)),
        }
    }
}

impl Exporter for ConsoleExporter {
    fn export(&self, chunk: TraceChunk) {
        let text = render(&chunk);
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        // A closed stdout must not take the application down: drop the output.
        let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
    }
}

/// The waterfall of one chunk, as [`ConsoleExporter`] prints it.
pub fn render(chunk: &TraceChunk) -> String {
    let spans = &chunk.spans;
    let mut out = String::new();
    let service = spans.first().map_or("", |s| s.service.as_str());
    let _ = writeln!(
        out,
        "trace {:032x}  ({service}, {} span{}, priority {})",
        chunk.trace_id.0,
        spans.len(),
        if spans.len() == 1 { "" } else { "s" },
        chunk.priority.map_or("?".to_owned(), |p| p.to_string()),
    );
    if spans.is_empty() {
        return out;
    }
    let start = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let end = spans
        .iter()
        .map(|s| s.start.saturating_add(s.duration))
        .max()
        .unwrap_or(start);
    let total = (end - start).max(1);

    // Depth-first order from the spans whose parent is not in the chunk; children by start.
    let in_chunk = |id: SpanId| spans.iter().any(|s| s.span_id == id);
    let mut roots: Vec<&SpanData> = spans.iter().filter(|s| !in_chunk(s.parent_id)).collect();
    roots.sort_by_key(|s| s.start);
    let mut rows: Vec<(usize, &SpanData)> = Vec::with_capacity(spans.len());
    let mut stack: Vec<(usize, &SpanData)> = roots.into_iter().rev().map(|s| (0, s)).collect();
    while let Some((depth, span)) = stack.pop() {
        rows.push((depth, span));
        if rows.len() > spans.len() {
            break; // a cycle in corrupt data: stop rather than loop
        }
        let mut children: Vec<&SpanData> = spans
            .iter()
            .filter(|c| c.parent_id == span.span_id && c.span_id != span.span_id)
            .collect();
        children.sort_by_key(|c| std::cmp::Reverse(c.start));
        stack.extend(children.into_iter().map(|c| (depth + 1, c)));
    }

    let name_w = rows
        .iter()
        .map(|(d, s)| d * 2 + s.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    let svc_w = rows
        .iter()
        .map(|(_, s)| s.service.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    for (depth, s) in rows {
        let name = format!("{}{}", "  ".repeat(depth), s.name);
        let resource = shorten(&s.resource, 32);
        let from = ((s.start - start) as f64 / total as f64 * BAR_WIDTH as f64) as usize;
        let len = ((s.duration as f64 / total as f64 * BAR_WIDTH as f64).round() as usize).max(1);
        let from = from.min(BAR_WIDTH - 1);
        let len = len.min(BAR_WIDTH - from);
        let bar: String = (0..BAR_WIDTH)
            .map(|i| {
                if i >= from && i < from + len {
                    '█'
                } else {
                    ' '
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "  {name:<name_w$}  {:<svc_w$}  {resource:<32}  {:>9} |{bar}|{}",
            shorten(&s.service, 24),
            format_duration(s.duration),
            if s.error != 0 { " !" } else { "" },
        );
        if s.error != 0
            && let Some(msg) = s.meta("error.message")
        {
            let _ = writeln!(out, "  {:<name_w$}  error: {}", "", shorten(msg, 80));
        }
    }
    out
}

fn shorten(s: &str, max: usize) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut cut: String = one_line.chars().take(max.saturating_sub(3)).collect();
        cut.push_str("...");
        cut
    }
}

fn format_duration(ns: i64) -> String {
    let ns = ns.max(0) as f64;
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.1} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddtrace_core::{TraceId, sampling::SamplingPriority};

    fn span(id: u64, parent: u64, name: &'static str, start: i64, duration: i64) -> SpanData {
        SpanData {
            trace_id: TraceId(7),
            span_id: SpanId(id),
            parent_id: SpanId(parent),
            name: name.into(),
            service: "shop".into(),
            resource: name.into(),
            start,
            duration,
            ..Default::default()
        }
    }

    #[test]
    fn children_are_indented_under_their_parent_in_start_order() {
        let mut failed = span(3, 1, "db.query", 1_000_000, 8_000_000);
        failed.error = 1;
        failed.set_meta("error.message".into(), "deadlock".into());
        let chunk = TraceChunk {
            trace_id: TraceId(7),
            priority: Some(SamplingPriority::AUTO_KEEP),
            // Finish order: children first, root last, as the tracer emits them.
            spans: vec![
                failed,
                span(2, 1, "cache.get", 500_000, 200_000),
                span(1, 0, "web.request", 0, 10_000_000),
            ],
        };
        let text = render(&chunk);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0]
                .starts_with("trace 00000000000000000000000000000007  (shop, 3 spans, priority 1)")
        );
        assert!(lines[1].starts_with("  web.request"), "{text}");
        assert!(lines[2].starts_with("    cache.get"), "{text}");
        assert!(lines[3].starts_with("    db.query"), "{text}");
        assert!(lines[3].ends_with("| !"), "{text}");
        assert!(lines[4].contains("error: deadlock"), "{text}");
        assert!(lines[1].contains("10.0 ms"));
        assert!(
            lines[1].contains(&"█".repeat(BAR_WIDTH)),
            "the root spans the whole chunk"
        );
    }

    #[test]
    fn exporter_writes_to_its_writer() {
        #[derive(Clone, Default)]
        struct Buf(std::sync::Arc<Mutex<Vec<u8>>>);
        impl Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let tracer = ddtrace_core::Tracer::builder()
            .config(
                ddtrace_core::Config::builder_without_env()
                    .service("demo")
                    .build(),
            )
            .exporter(ConsoleExporter::to_writer(buf.clone()))
            .build();
        {
            let _root = tracer.trace("outer").start();
            let _inner = tracer.trace("inner").start();
        }
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("  outer"), "{text}");
        assert!(text.contains("    inner"), "{text}");
    }
}
