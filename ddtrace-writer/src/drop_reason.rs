//! [`DropReason`]: why the writer dropped a trace instead of delivering it.

/// Why traces were dropped instead of reaching the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The buffer (`DD_TRACE_WRITER_BUFFER_SIZE_BYTES`) was full when the trace was exported.
    BufferFull,
    /// One trace was larger than the buffer or a whole payload
    /// (`DD_TRACE_WRITER_MAX_PAYLOAD_SIZE_BYTES`).
    TooLarge,
    /// The agent answered 4xx (for example 400 or 413): resending would not help.
    RejectedByAgent,
    /// The agent could not be reached or kept failing (5xx) after the retries.
    SendFailed,
    /// The writer had shut down, or its shutdown deadline passed with the trace unsent.
    ShutDown,
}

impl DropReason {
    /// A short description for logs and errors.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::BufferFull => "buffer full",
            DropReason::TooLarge => "too large",
            DropReason::RejectedByAgent => "rejected by the agent",
            DropReason::SendFailed => "send failed",
            DropReason::ShutDown => "writer shut down",
        }
    }
}
