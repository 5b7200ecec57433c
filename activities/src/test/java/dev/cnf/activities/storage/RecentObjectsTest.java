package dev.cnf.activities.storage;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class RecentObjectsTest {
    @Test
    void theLeastRecentlyUsedGoFirstAndTheBytesStayUnderTheBound() {
        RecentObjects recent = new RecentObjects(100, 60);
        recent.add("a", new byte[40]);
        recent.add("b", new byte[40]);
        assertNotNull(recent.get("a")); // a is now the more recently used
        recent.add("c", new byte[40]);
        assertNull(recent.get("b"), "b was the least recently used");
        assertNotNull(recent.get("a"));
        assertNotNull(recent.get("c"));
        assertEquals(80, recent.bytes());
    }

    @Test
    void anObjectOverTheLargestSizeIsNotKeptAndPushesNothingOut() {
        RecentObjects recent = new RecentObjects(100, 60);
        recent.add("a", new byte[50]);
        recent.add("huge", new byte[61]);
        assertNull(recent.get("huge"));
        assertNotNull(recent.get("a"));
        assertEquals(50, recent.bytes());
    }

    @Test
    void addingAKeyAgainCountsItsBytesOnce() {
        RecentObjects recent = new RecentObjects(100, 100);
        recent.add("a", new byte[30]);
        recent.add("a", new byte[30]);
        assertEquals(30, recent.bytes());
        recent.add("a", new byte[100]);
        assertEquals(100, recent.bytes());
        assertEquals(100, recent.get("a").length);
    }
}
