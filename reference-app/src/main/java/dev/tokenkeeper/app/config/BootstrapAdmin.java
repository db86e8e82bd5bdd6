package dev.tokenkeeper.app.config;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.audit.Actor;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenInfo;
import dev.tokenkeeper.tokens.TokenQuery;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.tokens.TokenStatus;
import java.io.PrintStream;
import java.util.Optional;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * First start: creates the default tenant and, while that tenant has no active admin token, issues
 * one and prints its secret once to standard output (never to the log). It cannot be shown again:
 * only its hash is stored. Revoke it after creating your own admin tokens.
 */
@Component
public class BootstrapAdmin implements ApplicationRunner {
    static final String NAME = "bootstrap-admin";

    private final TokenKeeper keeper;
    private final AppProperties props;
    private final PrintStream out = System.out;

    public BootstrapAdmin(TokenKeeper keeper, AppProperties props) {
        this.keeper = keeper;
        this.props = props;
    }

    @Override
    public void run(ApplicationArguments args) {
        bootstrap();
    }

    /** Issues the bootstrap admin token when needed; returns it when one was issued. */
    public Optional<IssuedToken> bootstrap() {
        keeper.tenants().ensure(props.defaultTenant(), "Default tenant");
        if (!props.bootstrapAdmin() || hasActiveAdmin()) {
            return Optional.empty();
        }
        IssuedToken admin = keeper.tokens()
                .issue(TokenSpec.builder()
                        .tenant(props.defaultTenant())
                        .name(NAME)
                        .role(Role.ADMIN)
                        .actor(Actor.of("bootstrap"))
                        .build());
        out.println();
        out.println("==========================================================================");
        out.println(" TokenKeeper bootstrap admin token (shown once, only its hash is stored):");
        out.println();
        out.println("   " + admin.secret());
        out.println();
        out.println(" Use it as:  Authorization: Bearer <token>   on /api/v1/*");
        out.println("==========================================================================");
        out.println();
        return Optional.of(admin);
    }

    private boolean hasActiveAdmin() {
        String cursor = null;
        do {
            var page = keeper.tokens()
                    .list(TokenQuery.builder(props.defaultTenant())
                            .status(TokenStatus.ACTIVE)
                            .limit(1000)
                            .cursor(cursor)
                            .build());
            for (TokenInfo t : page.items()) {
                if (t.role() == Role.ADMIN) {
                    return true;
                }
            }
            cursor = page.nextCursor();
        } while (cursor != null);
        return false;
    }
}
