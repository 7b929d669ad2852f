//! Alarm lifecycle (ISA-18.2): persistence, deadband, delays, acknowledge, shelve, suppress, flood control. No IO, no clock.
