package dev.converge.sync;

/** A registered listener; {@link #close()} removes it. Idempotent. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {

  @Override
  void close();
}
