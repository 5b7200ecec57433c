package dev.cnf.activities.ingest;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class HttpFetcherRulesTest {
    @Test
    void robotsDirectivesApplyToEveryoneOrToUs() {
        assertEquals(Set.of("noai", "noimageai"), HttpFetcher.robotsDirectives(List.of("noai, noimageai")));
        assertEquals(Set.of(), HttpFetcher.robotsDirectives(List.of("googlebot: noindex")));
        assertEquals(Set.of("noimageai"), HttpFetcher.robotsDirectives(List.of("CNF: noimageai")));
        assertTrue(HttpFetcher.robotsDirectives(List.of("unavailable_after: 25 Jun 2010 15:00:00 PST")).stream()
                .anyMatch(d -> d.startsWith("unavailable_after")));
    }

    @Test
    void retryAfterInSecondsOrAsADate() {
        assertEquals(Duration.ofSeconds(120), HttpFetcher.retryAfter("120"));
        assertNull(HttpFetcher.retryAfter("soon"));
        assertEquals(Duration.ZERO, HttpFetcher.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), "a past date means now");
    }
}
