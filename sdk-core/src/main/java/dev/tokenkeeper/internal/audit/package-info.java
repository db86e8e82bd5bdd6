@NullMarked
package dev.tokenkeeper.internal.audit;

import org.jspecify.annotations.NullMarked;
