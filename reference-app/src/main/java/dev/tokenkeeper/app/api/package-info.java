/** The reference app's REST API: controllers, guard, problem documents. */
@NullMarked
package dev.tokenkeeper.app.api;

import org.jspecify.annotations.NullMarked;
