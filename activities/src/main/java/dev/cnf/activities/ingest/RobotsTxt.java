package dev.cnf.activities.ingest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * robots.txt as RFC 9309 reads it: the groups naming our product token (else the {@code *} groups),
 * allow/disallow rules with {@code *} and {@code $}, the longest match deciding and allow winning
 * ties. Crawl-delay (not in the RFC, widely used) is read too.
 */
public final class RobotsTxt {
    private record Rule(boolean allow, String pattern) {}

    private final List<Rule> rules;
    private final Duration crawlDelay;

    private RobotsTxt(List<Rule> rules, Duration crawlDelay) {
        this.rules = rules;
        this.crawlDelay = crawlDelay;
    }

    public static RobotsTxt allowAll() {
        return new RobotsTxt(List.of(), Duration.ZERO);
    }

    public static RobotsTxt disallowAll() {
        return new RobotsTxt(List.of(new Rule(false, "/")), Duration.ZERO);
    }

    public static RobotsTxt parse(String text, String productToken) {
        String token = productToken.toLowerCase(Locale.ROOT);
        List<Rule> ours = new ArrayList<>(), any = new ArrayList<>();
        Duration oursDelay = null, anyDelay = null;
        boolean foundOurs = false;
        boolean groupOurs = false, groupAny = false, inRules = false;
        for (String raw : text.split("\r\n|\r|\n")) {
            int hash = raw.indexOf('#');
            String line = (hash >= 0 ? raw.substring(0, hash) : raw).strip();
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String key = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            switch (key) {
                case "user-agent" -> {
                    if (inRules) { // a user-agent line after rules starts a new group
                        groupOurs = groupAny = inRules = false;
                    }
                    String agent = value.toLowerCase(Locale.ROOT);
                    if (agent.equals("*")) {
                        groupAny = true;
                    } else if (agent.equals(token) || agent.startsWith(token + "/")) {
                        groupOurs = foundOurs = true;
                    }
                }
                case "allow", "disallow" -> {
                    inRules = true;
                    if (value.isEmpty()) {
                        continue; // "Disallow:" with nothing allows everything
                    }
                    // in the form the paths it is matched against have (WireUri): "/%7Ejoe" matches "/~joe"
                    Rule rule = new Rule(key.equals("allow"), WireUri.escapes(WireUri.toAscii(value)));
                    if (groupOurs) {
                        ours.add(rule);
                    }
                    if (groupAny) {
                        any.add(rule);
                    }
                }
                case "crawl-delay" -> {
                    inRules = true;
                    Duration d = parseDelay(value);
                    if (groupOurs && d != null) {
                        oursDelay = d;
                    }
                    if (groupAny && d != null) {
                        anyDelay = d;
                    }
                }
                default -> { } // sitemap and unknown lines do not end a group
            }
        }
        Duration delay = foundOurs ? oursDelay : anyDelay;
        return new RobotsTxt(List.copyOf(foundOurs ? ours : any), delay == null ? Duration.ZERO : delay);
    }

    private static Duration parseDelay(String value) {
        try {
            double seconds = Double.parseDouble(value);
            return seconds >= 0 ? Duration.ofMillis((long) (seconds * 1000)) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public Duration crawlDelay() {
        return crawlDelay;
    }

    /** @param pathAndQuery the URL's raw path (and "?query"), starting with "/" */
    public boolean allows(String pathAndQuery) {
        String path = pathAndQuery.isEmpty() ? "/" : pathAndQuery;
        if (path.equals("/robots.txt")) {
            return true;
        }
        Rule best = null;
        for (Rule r : rules) {
            if (matches(r.pattern(), path) && (best == null || r.pattern().length() > best.pattern().length()
                    || (r.pattern().length() == best.pattern().length() && r.allow()))) {
                best = r;
            }
        }
        return best == null || best.allow();
    }

    /** Pattern match with '*' (any run of characters) and a trailing '$' (end of path). */
    static boolean matches(String pattern, String path) {
        boolean anchored = pattern.endsWith("$");
        String p = anchored ? pattern.substring(0, pattern.length() - 1) : pattern;
        return match(p, 0, path, 0, anchored);
    }

    private static boolean match(String p, int pi, String s, int si, boolean anchored) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '*') {
                for (int k = si; k <= s.length(); k++) {
                    if (match(p, pi + 1, s, k, anchored)) {
                        return true;
                    }
                }
                return false;
            }
            if (si >= s.length() || s.charAt(si) != c) {
                return false;
            }
            pi++;
            si++;
        }
        return !anchored || si == s.length();
    }
}
