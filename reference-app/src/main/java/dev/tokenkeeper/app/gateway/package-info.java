/**
 * The LLM gateway: OpenAI- and Anthropic-compatible endpoints that route each call to a configured
 * provider, enforce it with {@code keeper.authorize} before a byte goes upstream, and record its
 * real usage with {@code complete}.
 */
@NullMarked
package dev.tokenkeeper.app.gateway;

import org.jspecify.annotations.NullMarked;
