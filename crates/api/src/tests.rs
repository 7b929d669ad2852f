//! End-to-end tests of the API against a real engine: a fitted model, a temporary data
//! directory, the router served on a loopback port and a small HTTP/1.1 client.

mod harness;

mod alarms;
mod auth;
mod connections;
mod docs;
mod ingest;
mod models;
mod stream;
mod tls;
mod web;
