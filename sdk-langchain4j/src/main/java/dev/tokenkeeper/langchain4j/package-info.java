/** LangChain4j chat-model decorators that enforce limits before a call and record its real usage after it. */
@NullMarked
package dev.tokenkeeper.langchain4j;

import org.jspecify.annotations.NullMarked;
