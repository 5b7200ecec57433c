package dev.cnf.activities.ingest;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides, after DNS resolution, whether a URL may be fetched: loopback, private, carrier-grade NAT
 * (100.64.0.0/10, where some clouds keep their metadata service), link-local (169.254.169.254
 * included), multicast, "this network" (0.0.0.0/8) and unique-local IPv6 addresses are refused unless
 * the host:port is allow-listed (the embedded demo gallery is; nothing else by default).
 *
 * <p>{@link #lookup} is also the fetcher's DNS: the addresses it returns are the ones the HTTP client
 * connects to, so a host cannot pass the check with one address and be fetched from another (DNS rebinding).
 */
public final class AddressPolicy {
    /** A DNS resolver; the system's unless a test gives another. */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;
    }

    /** A lookup refused because the host resolves to a non-public address; an UnknownHostException so HTTP clients treat it as a failed lookup. */
    public static final class Blocked extends UnknownHostException {
        Blocked(String message) {
            super(message);
        }
    }

    private final Set<String> allowedHostPorts;
    private final Set<String> allowedHosts;
    private final Resolver resolver;

    public AddressPolicy(Set<String> allowedHostPorts) {
        this(allowedHostPorts, host -> List.of(InetAddress.getAllByName(host)));
    }

    public AddressPolicy(Set<String> allowedHostPorts, Resolver resolver) {
        this.allowedHostPorts = allowedHostPorts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        this.allowedHosts = this.allowedHostPorts.stream().map(h -> h.substring(0, Math.max(0, h.lastIndexOf(':'))))
                .collect(Collectors.toUnmodifiableSet());
        this.resolver = resolver;
    }

    public static AddressPolicy publicOnly() {
        return new AddressPolicy(Set.of());
    }

    /** @return null when allowed, else why not */
    public String check(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "scheme '" + scheme + "' is not http(s)";
        }
        String host = uri.getHost();
        if (host == null) {
            return "no host";
        }
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        if (allowedHostPorts.contains(host.toLowerCase(Locale.ROOT) + ":" + port)) {
            return null;
        }
        try {
            checkAll(host, resolver.resolve(host));
        } catch (Blocked e) {
            return e.getMessage();
        } catch (UnknownHostException e) {
            return "unknown host " + host;
        }
        return null;
    }

    /**
     * The addresses to connect to for {@code host}: all of them public, or {@link Blocked}. A host
     * allow-listed for some port resolves without the check ({@link #check} has already held the URL to
     * its allow-listed port).
     */
    public List<InetAddress> lookup(String host) throws UnknownHostException {
        List<InetAddress> addresses = resolver.resolve(host);
        if (!allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
            checkAll(host, addresses);
        }
        return addresses;
    }

    private static void checkAll(String host, List<InetAddress> addresses) throws Blocked {
        for (InetAddress a : addresses) {
            if (!isPublic(a)) {
                throw new Blocked(host + " resolves to non-public address " + a.getHostAddress());
            }
        }
    }

    static boolean isPublic(InetAddress a) {
        if (a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isMulticastAddress() || a.isAnyLocalAddress()) {
            return false;
        }
        byte[] b = a.getAddress();
        if (b.length == 4) {
            int first = b[0] & 0xff, second = b[1] & 0xff;
            boolean thisNetwork = first == 0;
            boolean carrierGradeNat = first == 100 && (second & 0xc0) == 64;
            boolean broadcast = first == 255 && second == 255 && (b[2] & 0xff) == 255 && (b[3] & 0xff) == 255;
            return !thisNetwork && !carrierGradeNat && !broadcast;
        }
        return (b[0] & 0xfe) != 0xfc; // fc00::/7, unique local
    }
}
