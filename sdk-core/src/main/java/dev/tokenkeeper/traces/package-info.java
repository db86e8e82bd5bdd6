/** Traces: every recorded call, queryable, exportable as CSV, and removed after a retention period. */
@NullMarked
package dev.tokenkeeper.traces;

import org.jspecify.annotations.NullMarked;
