package dev.converge.store;

import dev.converge.store.internal.DurableReplicaStore;
import dev.converge.store.internal.InMemoryReplicaStore;

/** Opens replica stores. */
public final class ReplicaStores {

  private ReplicaStores() {}

  /**
   * Opens the store {@code options} describe: durable in {@link StoreOptions#getDataDir()} if set,
   * else in memory. A durable store recovers everything acknowledged before a crash.
   *
   * @throws StoreException.Corrupted if a data file is corrupted (the message names it)
   * @throws StoreException if the data directory belongs to another node id, is in use by another
   *     open store, or cannot be created or written
   * @throws IllegalStateException if a required option is missing
   */
  public static ReplicaStore open(StoreOptions options) {
    StoreOptions copy = new StoreOptions(options);
    copy.validate();
    return copy.getDataDir() == null
        ? new InMemoryReplicaStore(copy)
        : DurableReplicaStore.open(copy);
  }
}
