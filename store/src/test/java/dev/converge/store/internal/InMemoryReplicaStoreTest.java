package dev.converge.store.internal;

import dev.converge.store.ReplicaStoreContract;
import dev.converge.store.StoreOptions;

/** The store contract against the in-memory store. */
class InMemoryReplicaStoreTest extends ReplicaStoreContract {

  @Override
  protected StoreOptions implementationOptions() {
    return new StoreOptions();
  }
}
