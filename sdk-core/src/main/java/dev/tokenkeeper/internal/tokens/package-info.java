@NullMarked
package dev.tokenkeeper.internal.tokens;

import org.jspecify.annotations.NullMarked;
