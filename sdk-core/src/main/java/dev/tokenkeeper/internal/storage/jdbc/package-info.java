@NullMarked
package dev.tokenkeeper.internal.storage.jdbc;

import org.jspecify.annotations.NullMarked;
