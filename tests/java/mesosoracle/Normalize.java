package mesosoracle;

import org.apache.mesos.Protos;

/**
 * What the oracles strip from recorded messages before printing them, and why (see
 * {@code docs/mesos-backend-oracle.md}). Everything run-dependent that is read from the
 * configuration (driver host and port, framework id, user) is pinned by the scenario instead,
 * so the coarse-grained TaskInfos go through untouched.
 */
final class Normalize {
  private Normalize() {}

  /**
   * Drops {@code data} (a fine-grained task's Java-serialized {@code TaskDescription}) and
   * {@code executor.data} (the fine-grained executor's Java-serialized Spark properties): both
   * hold JVM serialization of run-dependent objects that a non-JVM backend cannot reproduce.
   */
  static Protos.TaskInfo taskInfo(Protos.TaskInfo task) {
    Protos.TaskInfo.Builder b = task.toBuilder();
    b.clearData();
    if (b.hasExecutor()) {
      b.getExecutorBuilder().clearData();
    }
    return b.build();
  }
}
