@NullMarked
package dev.tokenkeeper.tenancy;

import org.jspecify.annotations.NullMarked;
