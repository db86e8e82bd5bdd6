/**
 * Prices and exact cost: a bundled, effective-dated catalog of provider prices, and cost computed
 * with decimal arithmetic, split per usage type.
 */
@NullMarked
package dev.tokenkeeper.pricing;

import org.jspecify.annotations.NullMarked;
