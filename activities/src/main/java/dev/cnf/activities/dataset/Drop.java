package dev.cnf.activities.dataset;

/** A dropped item: where it came from, why, and a human-readable detail. */
public record Drop(String url, DropReason reason, String detail) {}
