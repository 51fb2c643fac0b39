package mesosoracle;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import mesosrecording.NoMasterDriver;
import org.apache.mesos.Protos;
import org.apache.mesos.Scheduler;
import org.apache.mesos.protobuf.TextFormat;

/**
 * Records every call a Spark scheduler makes on its driver, in the normalized text form of
 * {@code docs/mesos-backend-oracle.md}.
 */
public final class RecordingSchedulerDriver extends NoMasterDriver {
  private final List<String> lines;

  /** Records into {@code lines} (shared with the oracle, which adds its step markers). */
  public RecordingSchedulerDriver(Scheduler scheduler, String frameworkId, List<String> lines) {
    super(scheduler, frameworkId);
    this.lines = lines;
  }

  /** Lowercase hex of a message's serialized bytes. */
  public static String hex(org.apache.mesos.protobuf.MessageLite message) {
    byte[] bytes = message.toByteArray();
    StringBuilder sb = new StringBuilder(bytes.length * 2);
    for (byte b : bytes) {
      sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return sb.toString();
  }

  /** One-line protobuf text form. */
  public static String text(org.apache.mesos.protobuf.MessageOrBuilder message) {
    return TextFormat.shortDebugString(message);
  }

  private static String filters(Protos.Filters filters) {
    if (filters == null) {
      return "none";
    }
    return filters.hasRefuseSeconds() ? "refuse_seconds=" + filters.getRefuseSeconds() : "empty";
  }

  private static String ids(Collection<Protos.OfferID> offerIds) {
    List<String> out = new ArrayList<>();
    for (Protos.OfferID id : offerIds) {
      out.add(id.getValue());
    }
    return String.join(",", out);
  }

  @Override
  protected void record(Call call) {
    switch (call.name) {
      case "start":
        lines.add("driver-start");
        break;
      case "run":
        break;
      case "stop":
        lines.add(call.failover == null ? "stop" : "stop failover=" + call.failover);
        break;
      case "abort":
        lines.add("abort");
        break;
      case "requestResources":
        lines.add("request-resources " + call.count);
        break;
      case "launchTasks":
        lines.add("launch offers=" + ids(call.offers) + " filters=" + filters(call.filters)
            + " tasks=" + call.tasks.size());
        for (Protos.TaskInfo task : call.tasks) {
          Protos.TaskInfo normalized = Normalize.taskInfo(task);
          lines.add("task " + task.getTaskId().getValue() + " " + hex(normalized));
          lines.add("text " + text(normalized));
        }
        break;
      case "killTask":
        lines.add("kill " + call.task.getValue());
        break;
      case "acceptOffers":
        lines.add("accept offers=" + ids(call.offers) + " filters=" + filters(call.filters)
            + " operations=" + call.operations.size());
        for (Protos.Offer.Operation op : call.operations) {
          lines.add("operation " + hex(op));
          lines.add("text " + text(op));
        }
        break;
      case "declineOffer":
        lines.add("decline " + ids(call.offers) + " filters=" + filters(call.filters));
        break;
      case "reviveOffers":
        lines.add("revive");
        break;
      case "suppressOffers":
        lines.add("suppress");
        break;
      case "acknowledgeStatusUpdate":
        for (Protos.TaskStatus status : call.statuses) {
          lines.add("acknowledge " + status.getTaskId().getValue() + " " + status.getState());
        }
        break;
      case "sendFrameworkMessage":
        lines.add("framework-message " + call.executor.getValue() + " " + call.agent.getValue()
            + " " + call.count);
        break;
      case "reconcileTasks":
        lines.add("reconcile tasks=" + call.statuses.size());
        for (Protos.TaskStatus status : call.statuses) {
          lines.add("status " + hex(status));
        }
        break;
      default:
        throw new IllegalStateException("unrecorded driver call " + call.name);
    }
  }
}
