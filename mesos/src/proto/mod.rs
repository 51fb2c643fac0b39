//! Mesos v1 messages, written by hand as prost types with Mesos's own field numbers.
