package dev.tokenkeeper.internal.tokens;

import java.time.Duration;

/** The token settings of a built TokenKeeper (validated by its builder). */
public record TokenSettings(
        long cacheMaximumSize,
        Duration cacheTtl,
        long negativeCacheMaximumSize,
        Duration negativeCacheTtl,
        Duration syncInterval,
        Duration clockSkewMargin,
        Duration offlineGrace,
        Duration defaultRotationGrace,
        Duration maxRotationGrace) {}
