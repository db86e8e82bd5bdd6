/** Usage limits and budgets: tokens, dollars or requests per period, with grace and alerts; rate limits. */
@NullMarked
package dev.tokenkeeper.limits;

import org.jspecify.annotations.NullMarked;
