package mesoslaunch;

import java.util.ArrayList;
import java.util.List;

import mesosrecording.NoMasterDriver;
import org.apache.mesos.Protos;
import org.apache.mesos.Scheduler;

/**
 * Keeps the launches, declines and kills Spark's MesosClusterScheduler makes, for the launch
 * oracle to print; registers as "oracle-framework".
 */
public final class LaunchDriver extends NoMasterDriver {
  /** One launchTasks call on one offer. */
  public static final class Launch {
    public final String offer;
    public final List<Protos.TaskInfo> tasks;

    Launch(String offer, List<Protos.TaskInfo> tasks) {
      this.offer = offer;
      this.tasks = tasks;
    }
  }

  public final List<Launch> launches = new ArrayList<>();
  /** "decline OFFER FILTER" and "kill-task TASK" lines, in call order. */
  public final List<String> others = new ArrayList<>();

  public LaunchDriver(Scheduler scheduler) {
    super(scheduler, "oracle-framework");
  }

  @Override
  protected void record(Call call) {
    switch (call.name) {
      case "launchTasks":
        for (Protos.OfferID o : call.offers) {
          launches.add(new Launch(o.getValue(), new ArrayList<>(call.tasks)));
        }
        break;
      case "killTask":
        others.add("kill-task " + call.task.getValue());
        break;
      case "declineOffer":
        String filter = call.filters == null
            ? "none"
            : call.filters.hasRefuseSeconds()
                ? "refuse_seconds=" + call.filters.getRefuseSeconds()
                : "empty";
        others.add("decline " + call.offers.iterator().next().getValue() + " " + filter);
        break;
      case "acceptOffers":
        throw new UnsupportedOperationException("acceptOffers");
      default:
        break;
    }
  }
}
