//! Where results go: the Sink trait and the store sink.
