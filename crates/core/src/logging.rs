//! The log-level override of the vendor's "Debug Logging" setting (SPEC 9):
//! `GET/PUT /rest/security/latest/loglevel?logLevelOverride=DEBUG`.
//!
//! The override applies to Keywarden's own events (targets starting with `keywarden`) on top of
//! the base filter (`RUST_LOG`): an event at the override level or more severe is logged even
//! when the base filter would drop it, and events between the override and `WARN` are written
//! **as `WARN`** (the vendor's wording: "all messages between the log level you set and WARN
//! inclusive will become WARN messages"). `WARN` (the default) and `ERROR` add nothing.
//!
//! [`LogLevelControl`] is the handle: the binary installs the subscriber with [`init`] and puts
//! the handle into [`crate::Config::log_level`]; a changed level takes effect at once (the
//! callsite interest cache is rebuilt). A server started without [`init`] (in-process tests)
//! still answers the API from a detached handle.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use serde::{Deserialize, Serialize};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, MakeWriter};
use tracing_subscriber::layer::{Context, Filter, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use utoipa::ToSchema;

/// A log level.
// One of the five levels the API accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// Most verbose.
    Trace = 0,
    /// Debugging.
    Debug = 1,
    /// Information.
    Info = 2,
    /// Warnings (the default: no extra logging).
    Warn = 3,
    /// Errors only.
    Error = 4,
}

impl LogLevel {
    /// Parses `TRACE`, `DEBUG`, `INFO`, `WARN` or `ERROR` (ASCII case ignored).
    pub fn parse(text: &str) -> Option<LogLevel> {
        match text.to_ascii_uppercase().as_str() {
            "TRACE" => Some(LogLevel::Trace),
            "DEBUG" => Some(LogLevel::Debug),
            "INFO" => Some(LogLevel::Info),
            "WARN" => Some(LogLevel::Warn),
            "ERROR" => Some(LogLevel::Error),
            _ => None,
        }
    }

    /// The upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
        }
    }

    fn from_u8(n: u8) -> LogLevel {
        match n {
            0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            4 => LogLevel::Error,
            _ => LogLevel::Warn,
        }
    }

    fn of(level: &Level) -> LogLevel {
        match *level {
            Level::TRACE => LogLevel::Trace,
            Level::DEBUG => LogLevel::Debug,
            Level::INFO => LogLevel::Info,
            Level::WARN => LogLevel::Warn,
            _ => LogLevel::Error,
        }
    }

    fn filter(self) -> LevelFilter {
        match self {
            LogLevel::Trace => LevelFilter::TRACE,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Error => LevelFilter::ERROR,
        }
    }
}

/// The shared, changeable override. Cheap to clone; clones share the level.
#[derive(Debug, Clone)]
pub struct LogLevelControl {
    level: Arc<AtomicU8>,
}

impl Default for LogLevelControl {
    fn default() -> Self {
        LogLevelControl {
            level: Arc::new(AtomicU8::new(LogLevel::Warn as u8)),
        }
    }
}

impl LogLevelControl {
    /// A handle at `WARN` (no override), not attached to any subscriber yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current override.
    pub fn get(&self) -> LogLevel {
        LogLevel::from_u8(self.level.load(Ordering::Relaxed))
    }

    /// Changes the override; effective for the next event.
    pub fn set(&self, level: LogLevel) {
        self.level.store(level as u8, Ordering::Relaxed);
        tracing::callsite::rebuild_interest_cache();
    }

    /// Whether the override enables this callsite.
    fn enables(&self, meta: &Metadata<'_>) -> bool {
        is_ours(meta) && LogLevel::of(meta.level()) >= self.get()
    }

    /// Whether the event is written as `WARN` instead of its own level.
    pub fn promotes(&self, meta: &Metadata<'_>) -> bool {
        let level = LogLevel::of(meta.level());
        is_ours(meta) && level < LogLevel::Warn && level >= self.get()
    }
}

fn is_ours(meta: &Metadata<'_>) -> bool {
    meta.target().starts_with("keywarden")
}

/// The per-layer filter: the base filter, or the override for Keywarden's targets.
struct OverrideFilter {
    base: EnvFilter,
    control: LogLevelControl,
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Filter<S> for OverrideFilter {
    fn enabled(&self, meta: &Metadata<'_>, cx: &Context<'_, S>) -> bool {
        self.control.enables(meta) || Filter::<S>::enabled(&self.base, meta, cx)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if is_ours(meta) {
            Interest::sometimes()
        } else {
            Filter::<S>::callsite_enabled(&self.base, meta)
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        let base = Filter::<S>::max_level_hint(&self.base).unwrap_or(LevelFilter::TRACE);
        Some(base.max(self.control.get().filter()))
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        Filter::<S>::on_new_span(&self.base, attrs, id, ctx)
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        Filter::<S>::on_record(&self.base, id, values, ctx)
    }

    fn on_enter(&self, id: &tracing::span::Id, ctx: Context<'_, S>) {
        Filter::<S>::on_enter(&self.base, id, ctx)
    }

    fn on_exit(&self, id: &tracing::span::Id, ctx: Context<'_, S>) {
        Filter::<S>::on_exit(&self.base, id, ctx)
    }

    fn on_close(&self, id: tracing::span::Id, ctx: Context<'_, S>) {
        Filter::<S>::on_close(&self.base, id, ctx)
    }
}

/// Writes the time and the (possibly promoted) level, then lets the standard formatter (built
/// without time and level) write the rest. JSON lines get a `"level"` key.
struct Promoting<F> {
    inner: F,
    json: bool,
    control: LogLevelControl,
}

impl<S, N, F> FormatEvent<S, N> for Promoting<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = if self.control.promotes(event.metadata()) {
            LogLevel::Warn
        } else {
            LogLevel::of(event.metadata().level())
        };
        if self.json {
            let mut line = String::new();
            self.inner
                .format_event(ctx, Writer::new(&mut line), event)?;
            let rest = line.strip_prefix('{').unwrap_or(&line);
            write!(writer, "{{\"level\":\"{}\",{rest}", level.as_str())
        } else {
            SystemTime.format_time(&mut writer)?;
            write!(writer, " {:>5} ", level.as_str())?;
            self.inner.format_event(ctx, writer, event)
        }
    }
}

/// The formatting layer with the override, writing to `writer`: text, or JSON lines.
pub fn layer<S, W>(
    control: &LogLevelControl,
    base: EnvFilter,
    json: bool,
    ansi: bool,
    writer: W,
) -> Box<dyn Layer<S> + Send + Sync>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = OverrideFilter {
        base,
        control: control.clone(),
    };
    if json {
        let inner = format().json().with_level(false);
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(writer)
            .event_format(Promoting {
                inner,
                json: true,
                control: control.clone(),
            })
            .with_filter(filter)
            .boxed()
    } else {
        let inner = format().without_time().with_level(false).with_ansi(ansi);
        tracing_subscriber::fmt::layer()
            .with_ansi(ansi)
            .with_writer(writer)
            .event_format(Promoting {
                inner,
                json: false,
                control: control.clone(),
            })
            .with_filter(filter)
            .boxed()
    }
}

fn format() -> format::Format {
    format::Format::default()
}

/// Installs the process's subscriber (stderr, base filter from `RUST_LOG` or `info`) and returns
/// its override handle. If a subscriber is already installed, the handle is detached.
pub fn init(json: bool) -> LogLevelControl {
    let control = LogLevelControl::new();
    let base = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::registry()
        .with(layer(&control, base, json, ansi, std::io::stderr))
        .try_init();
    control
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }

    impl Buf {
        fn take(&self) -> String {
            String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
        }
    }

    fn run(json: bool) -> Vec<String> {
        let control = LogLevelControl::new();
        let buf = Buf::default();
        let subscriber = tracing_subscriber::registry().with(layer(
            &control,
            EnvFilter::new("info"),
            json,
            false,
            buf.clone(),
        ));
        let mut out = Vec::new();
        tracing::subscriber::with_default(subscriber, || {
            let emit = || {
                tracing::debug!(target: "keywarden_server::x", "debug one");
                tracing::info!(target: "keywarden_server::x", "info one");
                tracing::info!(target: "other", "foreign info");
                tracing::debug!(target: "other", "foreign debug");
                tracing::error!(target: "keywarden_server::x", "an error");
            };
            emit();
            out.push(buf.take());
            control.set(LogLevel::Debug);
            emit();
            out.push(buf.take());
            control.set(LogLevel::Trace);
            tracing::trace!(target: "keywarden::y", "trace one");
            out.push(buf.take());
            control.set(LogLevel::Warn);
            emit();
            out.push(buf.take());
        });
        out
    }

    #[test]
    fn override_promotes_to_warn_at_once() {
        let out = run(false);
        // WARN: base filter only, levels unchanged.
        assert!(!out[0].contains("debug one"), "{}", out[0]);
        assert!(
            out[0].contains(" INFO keywarden_server::x: info one"),
            "{}",
            out[0]
        );
        assert!(
            out[0].contains("ERROR keywarden_server::x: an error"),
            "{}",
            out[0]
        );
        // DEBUG: our debug and info lines appear as WARN; foreign targets are untouched.
        assert!(
            out[1].contains(" WARN keywarden_server::x: debug one"),
            "{}",
            out[1]
        );
        assert!(
            out[1].contains(" WARN keywarden_server::x: info one"),
            "{}",
            out[1]
        );
        assert!(out[1].contains(" INFO other: foreign info"), "{}", out[1]);
        assert!(!out[1].contains("foreign debug"), "{}", out[1]);
        assert!(
            out[1].contains("ERROR keywarden_server::x: an error"),
            "{}",
            out[1]
        );
        assert!(
            out[2].contains(" WARN keywarden::y: trace one"),
            "{}",
            out[2]
        );
        // Back to WARN.
        let mask = |s: &str| s.replace(|c: char| c.is_ascii_digit(), "0");
        assert_eq!(mask(&out[3]), mask(&out[0]));
    }

    #[test]
    fn json_lines_carry_the_promoted_level() {
        let out = run(true);
        let line = out[1]
            .lines()
            .find(|l| l.contains("debug one"))
            .expect("debug line");
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["level"], "WARN");
        assert_eq!(v["target"], "keywarden_server::x");
    }

    #[test]
    fn parse_levels() {
        assert_eq!(LogLevel::parse("debug"), Some(LogLevel::Debug));
        assert_eq!(LogLevel::parse("ERROR"), Some(LogLevel::Error));
        assert_eq!(LogLevel::parse("VERBOSE"), None);
        assert_eq!(LogLevel::parse(""), None);
    }
}
