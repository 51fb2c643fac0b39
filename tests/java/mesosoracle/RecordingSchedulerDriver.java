package mesosoracle;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.apache.mesos.Protos;
import org.apache.mesos.Scheduler;
import org.apache.mesos.SchedulerDriver;
import org.apache.mesos.protobuf.TextFormat;

/**
 * A v0 {@link SchedulerDriver} that records every call a Spark scheduler makes, in the
 * normalized text form of {@code docs/mesos-backend-oracle.md}, instead of talking to a master.
 *
 * <p>{@link #run()} registers the scheduler with a fixed framework id and master, then blocks
 * until {@link #stop()}; Spark's {@code startScheduler} runs it on its own thread, exactly as it
 * would run libmesos' {@code MesosSchedulerDriver}, so no native library is ever loaded.
 */
public final class RecordingSchedulerDriver implements SchedulerDriver {
  private final Scheduler scheduler;
  private final String frameworkId;
  private final List<String> lines;
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Records into {@code lines} (shared with the oracle, which adds its step markers). */
  public RecordingSchedulerDriver(Scheduler scheduler, String frameworkId, List<String> lines) {
    this.scheduler = scheduler;
    this.frameworkId = frameworkId;
    this.lines = lines;
  }

  /** The master every scheduler is told it registered with. */
  public static Protos.MasterInfo masterInfo() {
    return Protos.MasterInfo.newBuilder()
        .setId("oracle-master")
        .setIp(0x0100007f)
        .setPort(5050)
        .setHostname("127.0.0.1")
        .setVersion("1.4.3")
        .build();
  }

  private synchronized void record(String line) {
    lines.add(line);
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

  private void recordLaunch(
      Collection<Protos.OfferID> offerIds, Collection<Protos.TaskInfo> tasks, Protos.Filters f) {
    synchronized (this) {
      record("launch offers=" + ids(offerIds) + " filters=" + filters(f) + " tasks=" + tasks.size());
      for (Protos.TaskInfo task : tasks) {
        Protos.TaskInfo normalized = Normalize.taskInfo(task);
        record("task " + task.getTaskId().getValue() + " " + hex(normalized));
        record("text " + text(normalized));
      }
    }
  }

  @Override
  public Protos.Status start() {
    record("driver-start");
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status run() {
    scheduler.registered(
        this, Protos.FrameworkID.newBuilder().setValue(frameworkId).build(), masterInfo());
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Protos.Status.DRIVER_STOPPED;
  }

  @Override
  public Protos.Status join() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Protos.Status.DRIVER_STOPPED;
  }

  @Override
  public Protos.Status stop(boolean failover) {
    record("stop failover=" + failover);
    stopped.countDown();
    return Protos.Status.DRIVER_STOPPED;
  }

  @Override
  public Protos.Status stop() {
    record("stop");
    stopped.countDown();
    return Protos.Status.DRIVER_STOPPED;
  }

  @Override
  public Protos.Status abort() {
    record("abort");
    stopped.countDown();
    return Protos.Status.DRIVER_ABORTED;
  }

  @Override
  public Protos.Status requestResources(Collection<Protos.Request> requests) {
    record("request-resources " + requests.size());
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status launchTasks(
      Collection<Protos.OfferID> offerIds, Collection<Protos.TaskInfo> tasks, Protos.Filters f) {
    recordLaunch(offerIds, tasks, f);
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status launchTasks(
      Collection<Protos.OfferID> offerIds, Collection<Protos.TaskInfo> tasks) {
    recordLaunch(offerIds, tasks, null);
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status launchTasks(
      Protos.OfferID offerId, Collection<Protos.TaskInfo> tasks, Protos.Filters f) {
    recordLaunch(List.of(offerId), tasks, f);
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status launchTasks(Protos.OfferID offerId, Collection<Protos.TaskInfo> tasks) {
    recordLaunch(List.of(offerId), tasks, null);
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status killTask(Protos.TaskID taskId) {
    record("kill " + taskId.getValue());
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status acceptOffers(
      Collection<Protos.OfferID> offerIds,
      Collection<Protos.Offer.Operation> operations,
      Protos.Filters f) {
    synchronized (this) {
      record("accept offers=" + ids(offerIds) + " filters=" + filters(f)
          + " operations=" + operations.size());
      for (Protos.Offer.Operation op : operations) {
        record("operation " + hex(op));
        record("text " + text(op));
      }
    }
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status declineOffer(Protos.OfferID offerId, Protos.Filters f) {
    record("decline " + offerId.getValue() + " filters=" + filters(f));
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status declineOffer(Protos.OfferID offerId) {
    record("decline " + offerId.getValue() + " filters=none");
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status reviveOffers() {
    record("revive");
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status suppressOffers() {
    record("suppress");
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status acknowledgeStatusUpdate(Protos.TaskStatus status) {
    record("acknowledge " + status.getTaskId().getValue() + " " + status.getState());
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status sendFrameworkMessage(
      Protos.ExecutorID executorId, Protos.SlaveID agentId, byte[] data) {
    record("framework-message " + executorId.getValue() + " " + agentId.getValue() + " "
        + data.length);
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status reconcileTasks(Collection<Protos.TaskStatus> statuses) {
    synchronized (this) {
      record("reconcile tasks=" + statuses.size());
      for (Protos.TaskStatus status : statuses) {
        record("status " + hex(status));
      }
    }
    return Protos.Status.DRIVER_RUNNING;
  }
}
