/** Internal: limits, budgets, leases, rate buckets and admissions. Not API. */
@NullMarked
package dev.tokenkeeper.internal.limits;

import org.jspecify.annotations.NullMarked;
