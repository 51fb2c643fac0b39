package mesosoracle;

import java.nio.charset.StandardCharsets;

import org.apache.mesos.Protos;
import org.apache.mesos.Scheduler;
import org.apache.mesos.SchedulerDriver;

/**
 * The scenario steps that deliver one of the remaining {@link Scheduler} callbacks, shared by
 * both oracles: {@code rescind OFFER}, {@code disconnected}, {@code reregistered},
 * {@code agent-lost AGENT}, {@code executor-lost EXECUTOR AGENT STATUS},
 * {@code framework-message EXECUTOR AGENT TEXT} and {@code error MESSAGE}.
 */
final class CallbackSteps {
  private CallbackSteps() {}

  /** Runs `step` if it is one of these callbacks; false if it is not. */
  static boolean run(Scheduler scheduler, SchedulerDriver driver, ScenarioFile.Step step) {
    String[] w = step.words;
    String rest = step.line.strip().substring(w[0].length()).strip();
    switch (step.verb()) {
      case "rescind":
        scheduler.offerRescinded(driver, Protos.OfferID.newBuilder().setValue(w[1]).build());
        return true;
      case "disconnected":
        scheduler.disconnected(driver);
        return true;
      case "reregistered":
        scheduler.reregistered(driver, RecordingSchedulerDriver.masterInfo());
        return true;
      case "agent-lost":
        scheduler.slaveLost(driver, Protos.SlaveID.newBuilder().setValue(w[1]).build());
        return true;
      case "executor-lost":
        scheduler.executorLost(driver, Protos.ExecutorID.newBuilder().setValue(w[1]).build(),
            Protos.SlaveID.newBuilder().setValue(w[2]).build(), Integer.parseInt(w[3]));
        return true;
      case "framework-message":
        scheduler.frameworkMessage(driver, Protos.ExecutorID.newBuilder().setValue(w[1]).build(),
            Protos.SlaveID.newBuilder().setValue(w[2]).build(),
            w.length > 3 ? w[3].getBytes(StandardCharsets.UTF_8) : new byte[0]);
        return true;
      case "error":
        scheduler.error(driver, rest);
        return true;
      default:
        return false;
    }
  }
}
