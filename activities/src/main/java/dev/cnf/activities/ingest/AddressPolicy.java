package dev.cnf.activities.ingest;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;

/**
 * Decides, after DNS resolution, whether a URL may be fetched: loopback, private, link-local
 * (169.254.169.254 included), multicast and unspecified addresses are refused unless the
 * host:port is allow-listed (the embedded demo gallery is; nothing else by default).
 */
public final class AddressPolicy {
    private final Set<String> allowedHostPorts;

    public AddressPolicy(Set<String> allowedHostPorts) {
        this.allowedHostPorts = Set.copyOf(allowedHostPorts);
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
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isMulticastAddress()
                        || a.isAnyLocalAddress() || isUniqueLocalV6(a)) {
                    return host + " resolves to non-public address " + a.getHostAddress();
                }
            }
        } catch (UnknownHostException e) {
            return "unknown host " + host;
        }
        return null;
    }

    private static boolean isUniqueLocalV6(InetAddress a) {
        byte[] b = a.getAddress();
        return b.length == 16 && (b[0] & 0xfe) == 0xfc;
    }
}
