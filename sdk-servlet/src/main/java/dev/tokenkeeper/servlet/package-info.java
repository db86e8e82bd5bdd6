/** A jakarta.servlet filter that authenticates, rate-limits and answers 401, 403 and 429. */
@NullMarked
package dev.tokenkeeper.servlet;

import org.jspecify.annotations.NullMarked;
