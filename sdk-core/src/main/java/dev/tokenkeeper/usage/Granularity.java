package dev.tokenkeeper.usage;

/** The bucket size of a usage time series; days, weeks (ISO, from Monday) and months follow the zone's calendar. */
public enum Granularity {
    HOUR,
    DAY,
    WEEK,
    MONTH
}
