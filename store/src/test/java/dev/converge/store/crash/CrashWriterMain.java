package dev.converge.store.crash;

import dev.converge.crdt.Key;
import dev.converge.crdt.ORSet;
import dev.converge.crdt.PNCounter;
import dev.converge.crdt.codec.ValueCodec;
import dev.converge.store.Durability;
import dev.converge.store.ReplicaStore;
import dev.converge.store.ReplicaStores;
import dev.converge.store.StoreOptions;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The victim of {@link CrashRecoveryTest}: opens a durable store and writes until it is killed,
 * counter increments and OR-Set adds of unique elements from several threads, and prints one line
 * per acknowledged write, after its future completed:
 *
 * <pre>
 * OPEN replicaId
 * ACK C                 an increment of "ctr" by 1
 * ACK S key element     an add of element to the OR-Set key
 * </pre>
 *
 * <p>Arguments: data directory, durability, run tag (prefix of the elements).
 */
public final class CrashWriterMain {

  static final Key<PNCounter> COUNTER = Key.pnCounter("ctr");
  static final int SETS = 3;
  private static final int THREADS = 4;
  private static final int IN_FLIGHT = 64;

  private CrashWriterMain() {}

  static Key<ORSet<String>> set(int i) {
    return Key.orSet("set-" + i, ValueCodec.string());
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Durability durability = Durability.valueOf(args[1]);
    String run = args[2];
    PrintStream out =
        new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    ReplicaStore store =
        ReplicaStores.open(
            new StoreOptions().setNodeId("crash").setDataDir(dir).setDurability(durability));
    print(out, "OPEN " + store.identity().replicaId());
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    AtomicLong ops = new AtomicLong();
    Thread[] writers = new Thread[THREADS];
    for (int t = 0; t < THREADS; t++) {
      writers[t] =
          new Thread(
              () -> {
                while (true) {
                  inFlight.acquireUninterruptibly();
                  long n = ops.getAndIncrement();
                  if (n % 2 == 0) {
                    store
                        .update(COUNTER, PNCounter.incrementBy(1))
                        .whenComplete(
                            (m, e) -> {
                              print(out, e == null ? "ACK C" : "ERR " + e);
                              inFlight.release();
                            });
                  } else {
                    int s = (int) (n % SETS);
                    String element = run + "-" + n;
                    store
                        .update(set(s), ORSet.adding(element))
                        .whenComplete(
                            (m, e) -> {
                              print(out, e == null ? "ACK S " + s + " " + element : "ERR " + e);
                              inFlight.release();
                            });
                  }
                }
              },
              "crash-writer-" + t);
      writers[t].start();
    }
    for (Thread writer : writers) {
      writer.join();
    }
  }

  private static void print(PrintStream out, String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
