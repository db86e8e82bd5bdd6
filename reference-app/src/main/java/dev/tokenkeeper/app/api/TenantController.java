package dev.tokenkeeper.app.api;

import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.NotFoundException;
import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.app.accounts.Accounts;
import dev.tokenkeeper.app.accounts.User;
import dev.tokenkeeper.tenancy.Tenant;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Tenants, for the admins of the operator's tenant: list them, create one with its first admin. */
@RestController
@RequestMapping("/api/v1/tenants")
public class TenantController {
    private final TokenKeeper keeper;
    private final Accounts accounts;
    private final Access access;

    public TenantController(TokenKeeper keeper, Accounts accounts, Access access) {
        this.keeper = keeper;
        this.accounts = accounts;
        this.access = access;
    }

    record TenantView(String id, String name, Instant createdAt, long users) {}

    record TenantList(List<TenantView> items) {}

    record AdminRequest(@Nullable String username, @Nullable String password) {
        @Override
        public String toString() {
            return "AdminRequest[username=" + username + "]";
        }
    }

    record CreateTenantRequest(
            @Nullable String id,
            @Nullable String name,
            @Nullable AdminRequest admin) {}

    record CreatedTenant(TenantView tenant, UserController.UserView admin) {}

    @GetMapping
    TenantList list(HttpServletRequest request) {
        access.operator(Caller.of(request));
        return new TenantList(keeper.tenants().list().stream().map(this::view).toList());
    }

    @GetMapping("/{id}")
    TenantView get(@PathVariable String id, HttpServletRequest request) {
        access.operator(Caller.of(request));
        return keeper.tenants()
                .find(id)
                .filter(t -> !t.id().startsWith("_"))
                .map(this::view)
                .orElseThrow(
                        () -> new NotFoundException(ErrorCode.TENANT_NOT_FOUND, "tenant " + id + " does not exist"));
    }

    @org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.CREATED)
    @PostMapping
    ResponseEntity<CreatedTenant> create(@RequestBody CreateTenantRequest body, HttpServletRequest request) {
        Caller caller = Caller.of(request);
        access.operator(caller);
        if (body.admin() == null) {
            throw TokenController.badRequest(
                    "admin", "is required: {\"username\",\"password\"} of the tenant's first admin");
        }
        User admin = accounts.createTenant(
                body.id(), body.name(), body.admin().username(), body.admin().password(), caller.actor());
        Tenant t = keeper.tenants().find(admin.tenantId()).orElseThrow();
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + t.id()))
                .body(new CreatedTenant(view(t), UserController.UserView.of(admin)));
    }

    private TenantView view(Tenant t) {
        return new TenantView(t.id(), t.name(), t.createdAt(), accounts.countUsers(t.id()));
    }
}
