@NullMarked
package dev.tokenkeeper.internal.storage;

import org.jspecify.annotations.NullMarked;
