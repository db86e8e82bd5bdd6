/**
 * TokenKeeper: API tokens, budgets, rate limits and a usage ledger for LLM calls, in process.
 *
 * <p>Start at {@link dev.tokenkeeper.TokenKeeper#builder()}.
 */
@NullMarked
package dev.tokenkeeper;

import org.jspecify.annotations.NullMarked;
