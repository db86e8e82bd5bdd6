package dev.tokenkeeper.examples.quickstart;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.tokens.IssuedToken;
import dev.tokenkeeper.tokens.Principal;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenSpec;
import dev.tokenkeeper.tokens.VerificationResult;
import java.util.Set;

public class QuickStart {
    public static void main(String[] args) {
        try (TokenKeeper keeper = TokenKeeper.builder().build()) { // embedded SQLite: data/tokenkeeper.db
            keeper.tenants().ensure("acme", "Acme Inc.");
            IssuedToken issued = keeper.tokens()
                    .issue(TokenSpec.builder()
                            .tenant("acme")
                            .name("ci-bot")
                            .role(Role.AGENT)
                            .allowedModels(Set.of("gpt-4o*"))
                            .build());
            String secret = issued.secret(); // hand it out; it is never shown again

            VerificationResult result = keeper.tokens().verify(secret);
            if (result instanceof VerificationResult.Verified ok) {
                Principal caller = ok.principal(); // tenant, user, project, role, scopes ...
                System.out.println(caller.tokenName() + " may call gpt-4o: " + caller.allowsModel("gpt-4o"));
            }
            keeper.tokens().revoke("acme", issued.info().id());
        }
    }
}
