/** The reference app's configuration: properties, bootstrap, Tomcat's errors. */
@NullMarked
package dev.tokenkeeper.app.config;

import org.jspecify.annotations.NullMarked;
