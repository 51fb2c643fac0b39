//! Spark 3.5's Mesos rules as pure functions of conf, offers and state.
