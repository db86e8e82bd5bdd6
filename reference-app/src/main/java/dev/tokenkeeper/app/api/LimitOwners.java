package dev.tokenkeeper.app.api;

import dev.tokenkeeper.app.accounts.AccountStore;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/** Which user added a limit through the API: a user may change or delete only those. */
@Component
public class LimitOwners {
    private final AccountStore store;

    public LimitOwners(AccountStore store) {
        this.store = store;
    }

    void record(String limitId, @Nullable String userId) {
        if (userId != null) {
            store.recordLimitOwner(limitId, userId);
        }
    }

    boolean ownedBy(String limitId, @Nullable String userId) {
        return userId != null
                && store.limitOwner(limitId).filter(userId::equals).isPresent();
    }

    void forget(String limitId) {
        store.forgetLimitOwner(limitId);
    }
}
