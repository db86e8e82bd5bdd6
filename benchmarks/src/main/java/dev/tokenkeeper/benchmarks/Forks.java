package dev.tokenkeeper.benchmarks;

/**
 * The JVM options of every benchmark's fork: a fixed heap, touched at start. With the default heap
 * (grown as needed) the kernel zeroes each page the first time the growing heap takes it, and those
 * page faults land on whichever code allocates most during the fork: 14 % of the admission burst's
 * samples in one profile, a cost a long-running service pays once.
 */
final class Forks {
    static final String MIN_HEAP = "-Xms4g";
    static final String MAX_HEAP = "-Xmx4g";
    static final String PRE_TOUCH = "-XX:+AlwaysPreTouch";

    private Forks() {}
}
