@NullMarked
package dev.tokenkeeper.tokens;

import org.jspecify.annotations.NullMarked;
