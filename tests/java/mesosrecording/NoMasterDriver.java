package mesosrecording;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.apache.mesos.Protos;
import org.apache.mesos.Scheduler;
import org.apache.mesos.SchedulerDriver;

/**
 * A v0 {@link SchedulerDriver} with no master behind it, for running Spark's own Mesos
 * schedulers as oracles without libmesos: {@link #run()} registers the scheduler with a fixed
 * framework id and {@link #masterInfo()}, then blocks until stopped, as Spark's
 * {@code startScheduler} expects of libmesos' driver. Every call reaches {@link #record} as one
 * {@link Call}, the overloads folded together, so an oracle only renders what it keeps.
 */
public class NoMasterDriver implements SchedulerDriver {
  /** One call made on the driver; fields a call does not carry are null. */
  public static final class Call {
    /** The method's name: {@code launchTasks}, {@code declineOffer}, {@code stop}, …. */
    public final String name;
    /** Offers of launchTasks, acceptOffers and declineOffer. */
    public final Collection<Protos.OfferID> offers;
    /** Tasks of launchTasks. */
    public final Collection<Protos.TaskInfo> tasks;
    /** Operations of acceptOffers. */
    public final Collection<Protos.Offer.Operation> operations;
    /** Filters, null when the overload took none. */
    public final Protos.Filters filters;
    /** The task of killTask. */
    public final Protos.TaskID task;
    /** The update of acknowledgeStatusUpdate, or the statuses of reconcileTasks. */
    public final Collection<Protos.TaskStatus> statuses;
    /** stop(boolean)'s argument; null for stop(). */
    public final Boolean failover;
    /** The size of requestResources' requests or of sendFrameworkMessage's data. */
    public final int count;
    /** sendFrameworkMessage's executor and agent. */
    public final Protos.ExecutorID executor;
    /** sendFrameworkMessage's agent. */
    public final Protos.SlaveID agent;

    private Call(Builder b) {
      name = b.name;
      offers = b.offers;
      tasks = b.tasks;
      operations = b.operations;
      filters = b.filters;
      task = b.task;
      statuses = b.statuses;
      failover = b.failover;
      count = b.count;
      executor = b.executor;
      agent = b.agent;
    }
  }

  private static final class Builder {
    final String name;
    Collection<Protos.OfferID> offers;
    Collection<Protos.TaskInfo> tasks;
    Collection<Protos.Offer.Operation> operations;
    Protos.Filters filters;
    Protos.TaskID task;
    Collection<Protos.TaskStatus> statuses;
    Boolean failover;
    int count;
    Protos.ExecutorID executor;
    Protos.SlaveID agent;

    Builder(String name) {
      this.name = name;
    }
  }

  private final Scheduler scheduler;
  private final String frameworkId;
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** A driver that registers {@code scheduler} as framework {@code frameworkId}. */
  public NoMasterDriver(Scheduler scheduler, String frameworkId) {
    this.scheduler = scheduler;
    this.frameworkId = frameworkId;
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

  /** Takes one call; this driver keeps nothing. Runs under the driver's lock. */
  protected void record(Call call) {}

  private Protos.Status take(Builder call, Protos.Status status) {
    synchronized (this) {
      record(new Call(call));
    }
    return status;
  }

  private Protos.Status take(Builder call) {
    return take(call, Protos.Status.DRIVER_RUNNING);
  }

  /** Records before releasing run(), so the stop is the last line of its scheduler. */
  private Protos.Status stopAfter(Builder call, Protos.Status status) {
    take(call, status);
    stopped.countDown();
    return status;
  }

  private Protos.Status awaitStop() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Protos.Status.DRIVER_STOPPED;
  }

  @Override
  public Protos.Status start() {
    return take(new Builder("start"));
  }

  @Override
  public Protos.Status run() {
    take(new Builder("run"));
    scheduler.registered(
        this, Protos.FrameworkID.newBuilder().setValue(frameworkId).build(), masterInfo());
    return awaitStop();
  }

  @Override
  public Protos.Status join() {
    return awaitStop();
  }

  @Override
  public Protos.Status stop(boolean failover) {
    Builder call = new Builder("stop");
    call.failover = failover;
    return stopAfter(call, Protos.Status.DRIVER_STOPPED);
  }

  @Override
  public Protos.Status stop() {
    return stopAfter(new Builder("stop"), Protos.Status.DRIVER_STOPPED);
  }

  @Override
  public Protos.Status abort() {
    return stopAfter(new Builder("abort"), Protos.Status.DRIVER_ABORTED);
  }

  @Override
  public Protos.Status requestResources(Collection<Protos.Request> requests) {
    Builder call = new Builder("requestResources");
    call.count = requests.size();
    return take(call);
  }

  private Protos.Status launch(
      Collection<Protos.OfferID> offers, Collection<Protos.TaskInfo> tasks, Protos.Filters f) {
    Builder call = new Builder("launchTasks");
    call.offers = offers;
    call.tasks = tasks;
    call.filters = f;
    return take(call);
  }

  @Override
  public Protos.Status launchTasks(
      Collection<Protos.OfferID> offers, Collection<Protos.TaskInfo> tasks, Protos.Filters f) {
    return launch(offers, tasks, f);
  }

  @Override
  public Protos.Status launchTasks(
      Collection<Protos.OfferID> offers, Collection<Protos.TaskInfo> tasks) {
    return launch(offers, tasks, null);
  }

  @Override
  public Protos.Status launchTasks(
      Protos.OfferID offer, Collection<Protos.TaskInfo> tasks, Protos.Filters f) {
    return launch(List.of(offer), tasks, f);
  }

  @Override
  public Protos.Status launchTasks(Protos.OfferID offer, Collection<Protos.TaskInfo> tasks) {
    return launch(List.of(offer), tasks, null);
  }

  @Override
  public Protos.Status killTask(Protos.TaskID task) {
    Builder call = new Builder("killTask");
    call.task = task;
    return take(call);
  }

  @Override
  public Protos.Status acceptOffers(
      Collection<Protos.OfferID> offers,
      Collection<Protos.Offer.Operation> operations,
      Protos.Filters f) {
    Builder call = new Builder("acceptOffers");
    call.offers = offers;
    call.operations = operations;
    call.filters = f;
    return take(call);
  }

  @Override
  public Protos.Status declineOffer(Protos.OfferID offer, Protos.Filters f) {
    Builder call = new Builder("declineOffer");
    call.offers = List.of(offer);
    call.filters = f;
    return take(call);
  }

  @Override
  public Protos.Status declineOffer(Protos.OfferID offer) {
    return declineOffer(offer, null);
  }

  @Override
  public Protos.Status reviveOffers() {
    return take(new Builder("reviveOffers"));
  }

  @Override
  public Protos.Status suppressOffers() {
    return take(new Builder("suppressOffers"));
  }

  @Override
  public Protos.Status acknowledgeStatusUpdate(Protos.TaskStatus status) {
    Builder call = new Builder("acknowledgeStatusUpdate");
    call.statuses = List.of(status);
    return take(call);
  }

  @Override
  public Protos.Status sendFrameworkMessage(
      Protos.ExecutorID executor, Protos.SlaveID agent, byte[] data) {
    Builder call = new Builder("sendFrameworkMessage");
    call.executor = executor;
    call.agent = agent;
    call.count = data.length;
    return take(call);
  }

  @Override
  public Protos.Status reconcileTasks(Collection<Protos.TaskStatus> statuses) {
    Builder call = new Builder("reconcileTasks");
    call.statuses = statuses;
    return take(call);
  }
}
