@NullMarked
package dev.tokenkeeper.audit;

import org.jspecify.annotations.NullMarked;
