@NullMarked
package dev.tokenkeeper.internal.util;

import org.jspecify.annotations.NullMarked;
