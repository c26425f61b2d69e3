package dev.converge.sync;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small authoritative DNS server on UDP {@code 127.0.0.1}, on a free port, for tests of seed
 * discovery: it answers A, AAAA and SRV questions from records a test sets and changes while it
 * runs. A name with no record of any type is NXDOMAIN; a known name without records of the type
 * asked is an empty NOERROR answer. Built on Netty's DNS codecs (the ones Vert.x's client uses).
 */
public final class LoopbackDnsServer implements AutoCloseable {

  /** One SRV record: {@code target} is a host name, {@code port} a gossip port. */
  public record Srv(int priority, int weight, int port, String target) {}

  private record Question(String name, DnsRecordType type) {}

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Map<Question, List<byte[]>> records = new ConcurrentHashMap<>();
  private final Map<Question, AtomicInteger> queries = new ConcurrentHashMap<>();
  private final Channel channel;

  private LoopbackDnsServer() throws InterruptedException {
    channel =
        new Bootstrap()
            .group(group)
            .channel(NioDatagramChannel.class)
            .handler(
                new ChannelInitializer<NioDatagramChannel>() {
                  @Override
                  protected void initChannel(NioDatagramChannel ch) {
                    ch.pipeline()
                        .addLast(new DatagramDnsQueryDecoder())
                        .addLast(new DatagramDnsResponseEncoder())
                        .addLast(new Responder());
                  }
                })
            .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .sync()
            .channel();
  }

  /** Starts a server on a free UDP port of {@code 127.0.0.1}. */
  public static LoopbackDnsServer start() {
    try {
      return new LoopbackDnsServer();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The server's address as {@link SyncOptions#setDnsServers(List)} takes it. */
  public String address() {
    return "127.0.0.1:" + port();
  }

  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Sets the A records of {@code name} (replacing earlier ones); none leaves the name known. */
  public LoopbackDnsServer a(String name, String... ips) {
    return put(name, DnsRecordType.A, addresses(ips, 4));
  }

  /** Sets the AAAA records of {@code name} (replacing earlier ones). */
  public LoopbackDnsServer aaaa(String name, String... ips) {
    return put(name, DnsRecordType.AAAA, addresses(ips, 16));
  }

  /** Sets the SRV records of {@code name} (replacing earlier ones). */
  public LoopbackDnsServer srv(String name, Srv... srvs) {
    List<byte[]> data = new ArrayList<>();
    for (Srv s : srvs) {
      ByteBuf buf = Unpooled.buffer();
      buf.writeShort(s.priority()).writeShort(s.weight()).writeShort(s.port());
      for (String label : fqdn(s.target()).split("\\.")) {
        byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
        buf.writeByte(bytes.length).writeBytes(bytes);
      }
      buf.writeByte(0);
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      buf.release();
      data.add(bytes);
    }
    return put(name, DnsRecordType.SRV, data);
  }

  /** Forgets every record of {@code name}: it becomes NXDOMAIN. */
  public LoopbackDnsServer remove(String name) {
    String key = fqdn(name);
    records.keySet().removeIf(q -> q.name().equals(key));
    return this;
  }

  /** How many questions of {@code type} about {@code name} this server has answered. */
  public int queries(String name, DnsRecordType type) {
    AtomicInteger count = queries.get(new Question(fqdn(name), type));
    return count == null ? 0 : count.get();
  }

  private LoopbackDnsServer put(String name, DnsRecordType type, List<byte[]> data) {
    String key = fqdn(name);
    // A name that is known answers NOERROR for every type: give it (empty) lists of each.
    for (DnsRecordType t : List.of(DnsRecordType.A, DnsRecordType.AAAA, DnsRecordType.SRV)) {
      records.putIfAbsent(new Question(key, t), List.of());
    }
    records.put(new Question(key, type), List.copyOf(data));
    return this;
  }

  private static List<byte[]> addresses(String[] ips, int length) {
    List<byte[]> data = new ArrayList<>();
    for (String ip : ips) {
      try {
        byte[] bytes = InetAddress.getByName(ip).getAddress(); // literals only: no lookup
        if (bytes.length != length) {
          throw new IllegalArgumentException(ip + " is not an IPv" + (length == 4 ? 4 : 6));
        }
        data.add(bytes);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(ip, e);
      }
    }
    return data;
  }

  private static String fqdn(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".") ? lower : lower + ".";
  }

  private final class Responder extends SimpleChannelInboundHandler<DatagramDnsQuery> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
      DatagramDnsResponse response =
          new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
      response.setRecursionDesired(query.isRecursionDesired()).setAuthoritativeAnswer(true);
      DnsQuestion question = query.recordAt(DnsSection.QUESTION);
      if (question == null) {
        ctx.writeAndFlush(response.setCode(DnsResponseCode.FORMERR));
        return;
      }
      String name = question.name();
      Question key = new Question(fqdn(name), question.type());
      queries.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      response.addRecord(DnsSection.QUESTION, question);
      List<byte[]> answers = records.get(key);
      boolean known = records.keySet().stream().anyMatch(q -> q.name().equals(key.name()));
      if (!known) {
        response.setCode(DnsResponseCode.NXDOMAIN);
      } else if (answers != null) {
        for (byte[] data : answers) {
          DnsRecord answer =
              new DefaultDnsRawRecord(name, question.type(), 1, Unpooled.wrappedBuffer(data));
          response.addRecord(DnsSection.ANSWER, answer);
        }
      }
      ctx.writeAndFlush(response);
    }
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
