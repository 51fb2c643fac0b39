//! The coarse-grained backend core: Spark 3.5.6's `MesosCoarseGrainedSchedulerBackend` decisions as pure functions of conf, offers and state.
