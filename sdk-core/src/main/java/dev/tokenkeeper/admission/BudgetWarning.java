package dev.tokenkeeper.admission;

import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitWindow;

/**
 * A call let through on a limit's grace allowance: with it, the limit's window has claimed more
 * than its amount (but not more than amount + grace).
 *
 * @param limit the limit
 * @param window its current window
 * @param claimed what the window has used and reserved, this call included, in the limit's unit
 */
public record BudgetWarning(Limit limit, LimitWindow window, long claimed) {}
