package mesosrest;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.apache.mesos.Protos;
import org.apache.mesos.Scheduler;
import org.apache.mesos.SchedulerDriver;

/**
 * A SchedulerDriver that talks to no master: run() registers the scheduler at once and blocks
 * until stop(); every call is recorded by name. It lets Spark's MesosClusterScheduler become
 * ready without libmesos.
 */
public final class RecordingDriver implements SchedulerDriver {
  private final Scheduler scheduler;
  private final CountDownLatch stopped = new CountDownLatch(1);
  /** The names of the calls made on this driver, in order. */
  public final List<String> calls = new ArrayList<>();

  public RecordingDriver(Scheduler scheduler) {
    this.scheduler = scheduler;
  }

  private synchronized Protos.Status record(String call) {
    calls.add(call);
    return Protos.Status.DRIVER_RUNNING;
  }

  @Override
  public Protos.Status start() {
    return record("start");
  }

  @Override
  public Protos.Status stop(boolean failover) {
    stopped.countDown();
    return record("stop");
  }

  @Override
  public Protos.Status stop() {
    return stop(false);
  }

  @Override
  public Protos.Status abort() {
    stopped.countDown();
    return record("abort");
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
    record("run");
    Protos.FrameworkID framework =
        Protos.FrameworkID.newBuilder().setValue("oracle-framework").build();
    Protos.MasterInfo master =
        Protos.MasterInfo.newBuilder().setId("oracle-master").setIp(0x7f000001).setPort(5050).build();
    scheduler.registered(this, framework, master);
    return join();
  }

  @Override
  public Protos.Status requestResources(Collection<Protos.Request> requests) {
    return record("requestResources");
  }

  @Override
  public Protos.Status launchTasks(
      Collection<Protos.OfferID> offers, Collection<Protos.TaskInfo> tasks, Protos.Filters f) {
    return record("launchTasks");
  }

  @Override
  public Protos.Status launchTasks(
      Collection<Protos.OfferID> offers, Collection<Protos.TaskInfo> tasks) {
    return record("launchTasks");
  }

  @Override
  public Protos.Status launchTasks(
      Protos.OfferID offer, Collection<Protos.TaskInfo> tasks, Protos.Filters f) {
    return record("launchTasks");
  }

  @Override
  public Protos.Status launchTasks(Protos.OfferID offer, Collection<Protos.TaskInfo> tasks) {
    return record("launchTasks");
  }

  @Override
  public Protos.Status killTask(Protos.TaskID task) {
    return record("killTask " + task.getValue());
  }

  @Override
  public Protos.Status acceptOffers(
      Collection<Protos.OfferID> offers, Collection<Protos.Offer.Operation> ops, Protos.Filters f) {
    return record("acceptOffers");
  }

  @Override
  public Protos.Status declineOffer(Protos.OfferID offer, Protos.Filters f) {
    return record("declineOffer");
  }

  @Override
  public Protos.Status declineOffer(Protos.OfferID offer) {
    return record("declineOffer");
  }

  @Override
  public Protos.Status reviveOffers() {
    return record("reviveOffers");
  }

  @Override
  public Protos.Status suppressOffers() {
    return record("suppressOffers");
  }

  @Override
  public Protos.Status acknowledgeStatusUpdate(Protos.TaskStatus status) {
    return record("acknowledgeStatusUpdate");
  }

  @Override
  public Protos.Status sendFrameworkMessage(
      Protos.ExecutorID executor, Protos.SlaveID agent, byte[] data) {
    return record("sendFrameworkMessage");
  }

  @Override
  public Protos.Status reconcileTasks(Collection<Protos.TaskStatus> statuses) {
    return record("reconcileTasks");
  }
}
