//! Tests of the HSMS source: the SECS-II codec (round trips, hostile bytes), STIME and DSPER,
//! and the connection against a scripted raw-TCP equipment that misbehaves on purpose.

mod clock;
mod corpus;
mod equipment;
mod item;
mod peer;
