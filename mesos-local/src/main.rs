//! `mesos-local`: runs the local Mesos cluster.

fn main() {}
