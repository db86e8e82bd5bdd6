@NullMarked
package dev.tokenkeeper.internal.usage;

import org.jspecify.annotations.NullMarked;
