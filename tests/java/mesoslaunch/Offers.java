package mesoslaunch;

import org.apache.mesos.Protos;

/**
 * Offer lines in the syntax of tests/java/mesosoracle's scenario files:
 * {@code <offer-id> <agent-id> <hostname> <item>...}, an item being
 * {@code name[(role[,principal])]=<number>|[b-e,...]} or {@code attr:name=value} (a number is
 * SCALAR, {@code [b-e]} RANGES, {@code {a,b}} SET, else TEXT).
 */
final class Offers {
  private Offers() {}

  static Protos.Offer offer(String spec, String frameworkId) {
    String[] w = spec.trim().split("\\s+");
    Protos.Offer.Builder b = Protos.Offer.newBuilder()
        .setId(Protos.OfferID.newBuilder().setValue(w[0]))
        .setFrameworkId(Protos.FrameworkID.newBuilder().setValue(frameworkId))
        .setSlaveId(Protos.SlaveID.newBuilder().setValue(w[1]))
        .setHostname(w[2]);
    for (int i = 3; i < w.length; i++) {
      if (w[i].startsWith("attr:")) {
        b.addAttributes(attribute(w[i].substring(5)));
      } else {
        b.addResources(resource(w[i]));
      }
    }
    return b.build();
  }

  private static Protos.Resource resource(String item) {
    int eq = item.indexOf('=');
    String head = item.substring(0, eq);
    String value = item.substring(eq + 1);
    String name = head;
    String role = "*";
    String principal = null;
    int paren = head.indexOf('(');
    if (paren > 0) {
      name = head.substring(0, paren);
      String[] rp = head.substring(paren + 1, head.length() - 1).split(",", -1);
      role = rp[0];
      if (rp.length > 1) {
        principal = rp[1];
      }
    }
    Protos.Resource.Builder r = Protos.Resource.newBuilder().setName(name).setRole(role);
    if (value.startsWith("[")) {
      r.setType(Protos.Value.Type.RANGES).setRanges(ranges(value));
    } else {
      r.setType(Protos.Value.Type.SCALAR)
          .setScalar(Protos.Value.Scalar.newBuilder().setValue(Double.parseDouble(value)));
    }
    if (principal != null) {
      r.setReservation(Protos.Resource.ReservationInfo.newBuilder().setPrincipal(principal));
    }
    return r.build();
  }

  private static Protos.Value.Ranges ranges(String value) {
    Protos.Value.Ranges.Builder rs = Protos.Value.Ranges.newBuilder();
    String body = value.substring(1, value.length() - 1);
    if (!body.isEmpty()) {
      for (String range : body.split(",")) {
        String[] be = range.split("-");
        rs.addRange(Protos.Value.Range.newBuilder()
            .setBegin(Long.parseLong(be[0])).setEnd(Long.parseLong(be[be.length - 1])));
      }
    }
    return rs.build();
  }

  private static Protos.Attribute attribute(String item) {
    int eq = item.indexOf('=');
    String name = item.substring(0, eq);
    String value = item.substring(eq + 1);
    Protos.Attribute.Builder a = Protos.Attribute.newBuilder().setName(name);
    if (value.startsWith("[")) {
      a.setType(Protos.Value.Type.RANGES).setRanges(ranges(value));
    } else if (value.startsWith("{") && value.endsWith("}")) {
      Protos.Value.Set.Builder set = Protos.Value.Set.newBuilder();
      String body = value.substring(1, value.length() - 1);
      if (!body.isEmpty()) {
        for (String v : body.split(",")) {
          set.addItem(v);
        }
      }
      a.setType(Protos.Value.Type.SET).setSet(set);
    } else if (value.matches("-?[0-9]+(\\.[0-9]+)?")) {
      a.setType(Protos.Value.Type.SCALAR)
          .setScalar(Protos.Value.Scalar.newBuilder().setValue(Double.parseDouble(value)));
    } else {
      a.setType(Protos.Value.Type.TEXT).setText(Protos.Value.Text.newBuilder().setValue(value));
    }
    return a.build();
  }
}
