package dev.tokenkeeper.app.api;

import dev.tokenkeeper.app.accounts.Accounts;
import dev.tokenkeeper.app.accounts.User;
import dev.tokenkeeper.tokens.Role;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The tenant's users, for its admins. A user's tenant never changes, and nobody changes their own
 * role, disables or deletes themselves: the request bodies have no tenant field (an unknown field
 * is refused), and the caller's own id is refused for those changes.
 */
@RestController
@RequestMapping("/api/v1/users")
public class UserController {
    private final Accounts accounts;
    private final Access access;

    public UserController(Accounts accounts, Access access) {
        this.accounts = accounts;
        this.access = access;
    }

    record UserView(
            String id,
            String tenantId,
            String username,
            String role,
            boolean disabled,
            Instant createdAt,
            Instant updatedAt) {
        static UserView of(User u) {
            return new UserView(
                    u.id(), u.tenantId(), u.username(), lower(u.role()), u.disabled(), u.createdAt(), u.updatedAt());
        }
    }

    record UserPageView(List<UserView> items, @Nullable String nextCursor) {}

    record CreateUserRequest(
            @Nullable String username,
            @Nullable String password,
            @Nullable String role) {
        @Override
        public String toString() {
            return "CreateUserRequest[username=" + username + ", role=" + role + "]";
        }
    }

    record UpdateUserRequest(
            @Nullable String role,
            @Nullable Boolean disabled,
            @Nullable String password) {
        @Override
        public String toString() {
            return "UpdateUserRequest[role=" + role + ", disabled=" + disabled + "]";
        }
    }

    @org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.CREATED)
    @PostMapping
    ResponseEntity<UserView> create(@RequestBody CreateUserRequest body, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        access.admin(caller);
        User u = accounts.createUser(
                caller.tenantId(), body.username(), body.password(), role(body.role(), Role.USER), caller.actor());
        return ResponseEntity.created(URI.create("/api/v1/users/" + u.id())).body(UserView.of(u));
    }

    @GetMapping
    UserPageView list(
            @RequestParam(name = "limit", defaultValue = "50") int limit,
            @RequestParam(name = "cursor", required = false) @Nullable String cursor,
            HttpServletRequest request) {
        Caller caller = Caller.of(request);
        access.admin(caller);
        var page = accounts.listUsers(caller.tenantId(), limit, cursor);
        return new UserPageView(page.items().stream().map(UserView::of).toList(), page.nextCursor());
    }

    @GetMapping("/{id}")
    UserView get(@PathVariable String id, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        access.admin(caller);
        return UserView.of(accounts.findUser(caller.tenantId(), id).orElseThrow(() -> notFound(id)));
    }

    @PatchMapping("/{id}")
    UserView update(@PathVariable String id, @RequestBody UpdateUserRequest body, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        access.admin(caller);
        if (body.role() == null && body.disabled() == null && body.password() == null) {
            throw TokenController.badRequest("body", "give at least one of role, disabled, password");
        }
        if (id.equals(caller.userId())) {
            throw ApiException.forbidden(
                    "own_account",
                    "nobody changes their own role, state or password here; use PUT /api/v1/auth/password for"
                            + " your password");
        }
        Role role = body.role() == null ? null : role(body.role(), null);
        return UserView.of(
                accounts.updateUser(caller.tenantId(), id, role, body.disabled(), body.password(), caller.actor()));
    }

    @org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.NO_CONTENT)
    @DeleteMapping("/{id}")
    ResponseEntity<Void> delete(@PathVariable String id, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        access.admin(caller);
        if (id.equals(caller.userId())) {
            throw ApiException.forbidden("own_account", "nobody deletes their own account");
        }
        accounts.deleteUser(caller.tenantId(), id, caller.actor());
        return ResponseEntity.noContent().build();
    }

    static Role role(@Nullable String value, @Nullable Role fallback) {
        if (value == null && fallback != null) {
            return fallback;
        }
        try {
            return Role.valueOf(String.valueOf(value).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw TokenController.badRequest("role", "must be one of admin, user, agent");
        }
    }

    private static ApiException notFound(String id) {
        return new ApiException(
                org.springframework.http.HttpStatus.NOT_FOUND, "user_not_found", "user " + id + " does not exist");
    }

    static String lower(Role r) {
        return r.name().toLowerCase(Locale.ROOT);
    }
}
