package mesoslaunch;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.apache.mesos.Protos;
import org.apache.mesos.Scheduler;
import org.apache.mesos.SchedulerDriver;

/**
 * A SchedulerDriver with no master: run() registers the scheduler as "oracle-framework" and
 * blocks until stop(); launches, declines and kills are kept for the oracle to print.
 */
public final class LaunchDriver implements SchedulerDriver {
  /** One launchTasks call. */
  public static final class Launch {
    public final String offer;
    public final List<Protos.TaskInfo> tasks;

    Launch(String offer, List<Protos.TaskInfo> tasks) {
      this.offer = offer;
      this.tasks = tasks;
    }
  }

  private final Scheduler scheduler;
  private final CountDownLatch stopped = new CountDownLatch(1);
  public final List<Launch> launches = new ArrayList<>();
  /** "decline OFFER FILTER" and "kill-task TASK" lines, in call order. */
  public final List<String> others = new ArrayList<>();

  public LaunchDriver(Scheduler scheduler) {
    this.scheduler = scheduler;
  }

  private static Protos.Status ok() {
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status start() {
    return ok();
  }

  @Override
  public Protos.Status stop(boolean failover) {
    stopped.countDown();
    return ok();
  }

  @Override
  public Protos.Status stop() {
    return stop(false);
  }

  @Override
  public Protos.Status abort() {
    stopped.countDown();
    return ok();
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
  public Protos.Status run() {
    scheduler.registered(
        this,
        Protos.FrameworkID.newBuilder().setValue("oracle-framework").build(),
        Protos.MasterInfo.newBuilder().setId("oracle-master").setIp(0x0100007f).setPort(5050).build());
    return join();
  }

  @Override
  public Protos.Status requestResources(Collection<Protos.Request> requests) {
    return ok();
  }

  private synchronized Protos.Status launch(Collection<Protos.OfferID> offers, Collection<Protos.TaskInfo> tasks) {
    for (Protos.OfferID o : offers) {
      launches.add(new Launch(o.getValue(), new ArrayList<>(tasks)));
    }
    return ok();
  }

  @Override
  public Protos.Status launchTasks(
      Collection<Protos.OfferID> offers, Collection<Protos.TaskInfo> tasks, Protos.Filters f) {
    return launch(offers, tasks);
  }

  @Override
  public Protos.Status launchTasks(Collection<Protos.OfferID> offers, Collection<Protos.TaskInfo> tasks) {
    return launch(offers, tasks);
  }

  @Override
  public Protos.Status launchTasks(Protos.OfferID offer, Collection<Protos.TaskInfo> tasks, Protos.Filters f) {
    return launch(List.of(offer), tasks);
  }

  @Override
  public Protos.Status launchTasks(Protos.OfferID offer, Collection<Protos.TaskInfo> tasks) {
    return launch(List.of(offer), tasks);
  }

  @Override
  public synchronized Protos.Status killTask(Protos.TaskID task) {
    others.add("kill-task " + task.getValue());
    return ok();
  }

  @Override
  public Protos.Status acceptOffers(
      Collection<Protos.OfferID> offers, Collection<Protos.Offer.Operation> ops, Protos.Filters f) {
    throw new UnsupportedOperationException("acceptOffers");
  }

  @Override
  public synchronized Protos.Status declineOffer(Protos.OfferID offer, Protos.Filters f) {
    String filter = f.hasRefuseSeconds() ? "refuse_seconds=" + f.getRefuseSeconds() : "empty";
    others.add("decline " + offer.getValue() + " " + filter);
    return ok();
  }

  @Override
  public synchronized Protos.Status declineOffer(Protos.OfferID offer) {
    others.add("decline " + offer.getValue() + " none");
    return ok();
  }

  @Override
  public Protos.Status reviveOffers() {
    return ok();
  }

  @Override
  public Protos.Status suppressOffers() {
    return ok();
  }

  @Override
  public Protos.Status acknowledgeStatusUpdate(Protos.TaskStatus status) {
    return ok();
  }

  @Override
  public Protos.Status sendFrameworkMessage(Protos.ExecutorID executor, Protos.SlaveID agent, byte[] data) {
    return ok();
  }

  @Override
  public Protos.Status reconcileTasks(Collection<Protos.TaskStatus> statuses) {
    return ok();
  }
}
