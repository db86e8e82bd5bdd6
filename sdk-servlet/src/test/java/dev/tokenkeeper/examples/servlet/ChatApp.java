package dev.tokenkeeper.examples.servlet;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.servlet.ErrorFormat;
import dev.tokenkeeper.servlet.TokenKeeperFilter;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import java.nio.file.Path;

/**
 * Sets up a servlet application: one TokenKeeper, its filter in front of {@code /v1/*} answering
 * refusals in OpenAI's error format, and an OpenAI-compatible chat endpoint. Works in any Jakarta
 * Servlet 6 container; the SQLite file comes from the context parameter
 * {@code tokenkeeper.sqlite-file}.
 */
@WebListener
public class ChatApp implements ServletContextListener {
    private TokenKeeper keeper;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext ctx = event.getServletContext();
        keeper = TokenKeeper.builder()
                .sqliteFile(Path.of(ctx.getInitParameter("tokenkeeper.sqlite-file")))
                .shutdownHook(false) // closed with the application below
                .build();
        ctx.setAttribute(TokenKeeper.class.getName(), keeper);
        TokenKeeperFilter filter = TokenKeeperFilter.builder(keeper)
                .errorFormat(ErrorFormat.OPENAI) // OpenAI's SDKs raise their usual exceptions
                .build();
        ctx.addFilter("tokenkeeper", filter).addMappingForUrlPatterns(null, false, "/v1/*");
        ctx.addServlet("chat", new ChatServlet(new ChatServlet.EchoLlm())).addMapping("/v1/chat/completions");
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        keeper.close(); // writes what the ledger still holds
    }
}
