/** The usage ledger: every LLM call, its tokens and its exact cost, recorded once. */
@NullMarked
package dev.tokenkeeper.usage;

import org.jspecify.annotations.NullMarked;
