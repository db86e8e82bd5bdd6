package dev.tokenkeeper.app.gateway;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The configured providers and the routing of a model name to one of them: the provider whose
 * {@code models} list names it exactly, else the first whose pattern matches; {@code provider/model}
 * picks the provider explicitly (the model must still be one it lists). The built-in demo provider
 * is added unless configuration turns it off or names a provider {@code demo} itself.
 */
@Component
public class Providers implements DisposableBean {
    /** A configured provider, ready to call. */
    public record Provider(
            String name,
            GatewayProperties.Type type,
            List<String> models,
            Upstream upstream,
            java.time.Duration timeout) {
        boolean lists(String model) {
            return models.stream().anyMatch(p -> matches(p, model));
        }

        boolean listsExactly(String model) {
            return models.stream().anyMatch(p -> p.equalsIgnoreCase(model));
        }
    }

    /** Where a model goes: the provider, and the model name to send it. */
    public record Route(Provider provider, String model) {}

    private final Map<String, Provider> byName = new LinkedHashMap<>();

    public Providers(GatewayProperties props, DemoUpstream demo) {
        for (var e : props.providers().entrySet()) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            GatewayProperties.Provider p = e.getValue();
            if (p.type() == null) {
                throw new IllegalStateException(
                        "tokenkeeper.providers." + name + ".type is required: openai, anthropic or demo");
            }
            Upstream upstream;
            if (p.type() == GatewayProperties.Type.DEMO) {
                upstream = demo;
            } else {
                URI base = p.baseUrl();
                if (base == null
                        || !("https".equals(base.getScheme()) || "http".equals(base.getScheme()))
                        || base.getHost() == null) {
                    throw new IllegalStateException(
                            "tokenkeeper.providers." + name + ".base-url must be an http(s) URL");
                }
                if (p.apiKey() == null || p.apiKey().isBlank()) {
                    throw new IllegalStateException("tokenkeeper.providers." + name + ".api-key is required");
                }
                upstream = new HttpUpstream(p);
            }
            List<String> models = p.models().isEmpty() && p.type() == GatewayProperties.Type.DEMO
                    ? DemoUpstream.MODELS
                    : List.copyOf(p.models());
            if (models.isEmpty()) {
                throw new IllegalStateException(
                        "tokenkeeper.providers." + name + ".models must name at least one model or pattern");
            }
            byName.put(name, new Provider(name, p.type(), models, upstream, p.timeout()));
        }
        if (props.gateway().demoProvider() && !byName.containsKey("demo")) {
            byName.put(
                    "demo",
                    new Provider(
                            "demo",
                            GatewayProperties.Type.DEMO,
                            DemoUpstream.MODELS,
                            demo,
                            java.time.Duration.ofMinutes(1)));
        }
    }

    /** The route of a model name, or empty when no provider serves it. */
    public Optional<Route> route(String model) {
        int slash = model.indexOf('/');
        if (slash > 0) {
            Provider p = byName.get(model.substring(0, slash).toLowerCase(Locale.ROOT));
            if (p != null) {
                String rest = model.substring(slash + 1);
                return p.lists(rest) ? Optional.of(new Route(p, rest)) : Optional.empty();
            }
        }
        for (Provider p : byName.values()) {
            if (p.listsExactly(model)) {
                return Optional.of(new Route(p, model));
            }
        }
        for (Provider p : byName.values()) {
            if (p.lists(model)) {
                return Optional.of(new Route(p, model));
            }
        }
        return Optional.empty();
    }

    /** Closes the providers' clients: their pooled connections and I/O threads. */
    @Override
    public void destroy() {
        byName.values().forEach(p -> p.upstream().close());
    }

    public List<Provider> all() {
        return new ArrayList<>(byName.values());
    }

    /** {@code prefix*} matches what starts with the prefix; anything else matches itself; case aside. */
    static boolean matches(String pattern, String model) {
        String p = pattern.toLowerCase(Locale.ROOT);
        String m = model.toLowerCase(Locale.ROOT);
        return p.endsWith("*") ? m.startsWith(p.substring(0, p.length() - 1)) : p.equals(m);
    }
}
