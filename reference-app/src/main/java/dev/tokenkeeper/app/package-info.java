/** The reference app: a Spring Boot application over TokenKeeper. */
@NullMarked
package dev.tokenkeeper.app;

import org.jspecify.annotations.NullMarked;
