/** Admitting LLM calls: {@code authorize} answers a {@link dev.tokenkeeper.admission.Permit} to settle or a {@link dev.tokenkeeper.admission.Denial} saying why. */
@NullMarked
package dev.tokenkeeper.admission;

import org.jspecify.annotations.NullMarked;
