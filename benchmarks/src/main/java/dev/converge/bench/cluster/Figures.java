package dev.converge.bench.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of one run: each is printed at once as {@code system.name value unit} and kept for
 * the JSON report. A figure measured several times is recorded as its median, with the samples.
 */
public final class Figures {

  /** One measured figure. */
  public record Figure(String system, String name, double value, String unit, double[] samples) {

    public String line() {
      return system + "." + name + " " + format(value) + " " + unit;
    }

    JsonObject toJson() {
      JsonObject json =
          new JsonObject()
              .put("system", system)
              .put("name", name)
              .put("value", value)
              .put("unit", unit);
      if (samples.length > 1) {
        JsonArray s = new JsonArray();
        for (double v : samples) {
          s.add(v);
        }
        json.put("samples", s);
      }
      return json;
    }
  }

  private final List<Figure> figures = new ArrayList<>();
  private final Map<String, Map<String, Object>> settings = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();

  /** Records and prints a single measurement. */
  public synchronized Figure add(String system, String name, double value, String unit) {
    return addSamples(system, name, unit, new double[] {value});
  }

  /** Records and prints the median of {@code samples}. */
  public synchronized Figure addSamples(String system, String name, String unit, double[] samples) {
    Figure f = new Figure(system, name, median(samples), unit, samples.clone());
    figures.add(f);
    System.out.println(f.line());
    return f;
  }

  public synchronized void note(String note) {
    notes.add(note);
    System.out.println("note: " + note);
  }

  public synchronized void settings(String system, Map<String, Object> values) {
    settings.put(system, values);
    System.out.println("settings " + system + ":");
    values.forEach((k, v) -> System.out.println("  " + k + " = " + v));
  }

  /** The value of {@code system.name}, or NaN if it was not measured. */
  public synchronized double value(String system, String name) {
    for (Figure f : figures) {
      if (f.system.equals(system) && f.name.equals(name)) {
        return f.value;
      }
    }
    return Double.NaN;
  }

  public synchronized List<Figure> all() {
    return List.copyOf(figures);
  }

  public synchronized JsonObject toJson() {
    JsonArray list = new JsonArray();
    figures.forEach(f -> list.add(f.toJson()));
    JsonObject s = new JsonObject();
    settings.forEach(
        (k, v) -> {
          JsonObject o = new JsonObject();
          v.forEach((name, value) -> o.put(name, String.valueOf(value)));
          s.put(k, o);
        });
    return new JsonObject()
        .put("figures", list)
        .put("settings", s)
        .put("notes", new JsonArray(new ArrayList<>(notes)));
  }

  public static double median(double[] samples) {
    double[] sorted = samples.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  public static String format(double v) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.valueOf((long) v);
    }
    return Math.abs(v) >= 100
        ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.3g", v);
  }
}
