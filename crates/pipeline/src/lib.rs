//! Config to topology: sources, frames, detectors, alarms and sinks wired with bounded queues, durable acks, metrics.
