/** Tools for an application's own tests of its TokenKeeper setup, such as the budget concurrency kit. */
@NullMarked
package dev.tokenkeeper.testkit;

import org.jspecify.annotations.NullMarked;
