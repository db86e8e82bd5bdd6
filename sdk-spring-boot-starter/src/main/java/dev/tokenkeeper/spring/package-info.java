/** Spring Boot auto-configuration: {@code tokenkeeper.*} properties, Actuator health, Micrometer metrics. */
@NullMarked
package dev.tokenkeeper.spring;

import org.jspecify.annotations.NullMarked;
