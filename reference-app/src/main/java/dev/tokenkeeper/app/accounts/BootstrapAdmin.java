package dev.tokenkeeper.app.accounts;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.api.ApiException;
import dev.tokenkeeper.app.config.AppProperties;
import java.io.PrintStream;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * First start: creates the operator's tenant and, on a database with no user at all, the admin
 * user {@code tokenkeeper.admin.username} of role admin. Its password is
 * {@code TOKENKEEPER_ADMIN_PASSWORD} when set (and must pass the password policy), else a generated
 * one that is printed once, to standard output only: never to the log, never to the audit log, and
 * never again, since only its hash is stored.
 */
@Component
@org.springframework.core.annotation.Order(BootstrapAdmin.ORDER)
public class BootstrapAdmin implements ApplicationRunner {
    /** Runs before the runners that build on its admin. */
    public static final int ORDER = 0;

    private static final Logger LOG = LoggerFactory.getLogger(BootstrapAdmin.class);

    private final TokenKeeper keeper;
    private final Accounts accounts;
    private final AppProperties props;
    private final PrintStream out = System.out;
    private volatile @org.jspecify.annotations.Nullable User created;

    public BootstrapAdmin(TokenKeeper keeper, Accounts accounts, AppProperties props) {
        this.keeper = keeper;
        this.accounts = accounts;
        this.props = props;
    }

    @Override
    public void run(ApplicationArguments args) {
        bootstrap();
        LOG.info("Log in with POST /api/v1/auth/login and a JSON body of username and password; the API is described at"
                + " /v3/api-docs and /swagger-ui");
    }

    /** The admin this start created, on a database that had no user; empty otherwise. */
    public Optional<User> createdThisStart() {
        return Optional.ofNullable(created);
    }

    /** Creates the bootstrap admin when the database has no user; returns it when it did. */
    public Optional<User> bootstrap() {
        keeper.tenants().ensure(props.defaultTenant(), "Default tenant");
        if (!accounts.noUsers()) {
            return Optional.empty();
        }
        String username = props.admin().username();
        String configured = props.admin().password();
        String password = configured != null ? configured : accounts.passwords().generate();
        if (configured != null) {
            try {
                accounts.passwords().check("TOKENKEEPER_ADMIN_PASSWORD", configured, username);
            } catch (ApiException e) {
                throw new IllegalStateException("the bootstrap admin's password is refused: " + e.getMessage());
            }
        }
        Optional<User> admin = accounts.createBootstrapAdmin(props.defaultTenant(), username, password);
        if (admin.isEmpty()) {
            return admin; // another instance on the same database was first
        }
        created = admin.get();
        out.println();
        out.println("==========================================================================");
        out.println(" TokenKeeper first start: admin user created in tenant '" + props.defaultTenant() + "'");
        out.println();
        out.println("   user name: " + username);
        if (configured == null) {
            out.println("   password:  " + password);
            out.println();
            out.println(" The password was generated and is shown this once (only its hash is");
            out.println(" stored). Change it with PUT /api/v1/auth/password.");
        } else {
            out.println("   password:  the one in TOKENKEEPER_ADMIN_PASSWORD");
        }
        out.println();
        out.println(" Open the dashboard: http://localhost:8080/");
        out.println();
        out.println(" Or log in to the API:");
        out.println("   curl -s -X POST http://localhost:8080/api/v1/auth/login \\");
        out.println("        -H 'Content-Type: application/json' \\");
        out.println("        -d '{\"username\":\"" + username + "\",\"password\":\"<password>\"}'");
        out.println("==========================================================================");
        out.println();
        return admin;
    }
}
