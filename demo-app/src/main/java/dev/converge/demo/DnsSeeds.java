package dev.converge.demo;

import dev.converge.sync.SyncOptions;
import java.util.List;
import java.util.Objects;

/**
 * Where a demo node finds seeds in DNS, besides its static {@code --seeds}. Maps one to one onto
 * {@link SyncOptions#setSeedDns(String)}, {@link SyncOptions#setSeedDnsPort(int)} and {@link
 * SyncOptions#setDnsServers(List)}; validated there.
 *
 * @param name a DNS name whose A/AAAA records list seeds, or {@code srv:NAME} for SRV records; null
 *     for none
 * @param port the gossip port of A/AAAA addresses; 0 for this node's own gossip port
 * @param servers DNS servers {@code ip:port} to ask; empty for the system's name server
 */
public record DnsSeeds(String name, int port, List<String> servers) {

  /** No DNS discovery. */
  public static final DnsSeeds NONE = new DnsSeeds(null, 0, List.of());

  public DnsSeeds {
    servers = List.copyOf(Objects.requireNonNull(servers, "servers"));
    // Reuse the library's checks, so the demo and the library accept the same settings.
    apply(new SyncOptions().setNodeId("check"), name, port, servers).validate();
  }

  /** Sets these options on {@code options}. */
  public SyncOptions applyTo(SyncOptions options) {
    return apply(options, name, port, servers);
  }

  private static SyncOptions apply(SyncOptions o, String name, int port, List<String> servers) {
    return o.setSeedDns(name).setSeedDnsPort(port).setDnsServers(servers);
  }
}
