@NullMarked
package dev.tokenkeeper.internal;

import org.jspecify.annotations.NullMarked;
