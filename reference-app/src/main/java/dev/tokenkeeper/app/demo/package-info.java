/** The demo data seeded at the first start on the embedded database, so the dashboard shows something at once. */
@NullMarked
package dev.tokenkeeper.app.demo;

import org.jspecify.annotations.NullMarked;
