//! Leader detection in ZooKeeper for `mesos://zk://…` master URLs.
