package dev.tokenkeeper.pricing;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenkeeper.ErrorCode;
import dev.tokenkeeper.TokenKeeperException;
import java.io.IOException;
import java.io.InputStream;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An immutable, effective-dated price list. {@link #bundled()} is the catalog shipped with
 * TokenKeeper ({@code dev/tokenkeeper/pricing/catalog.json}); {@link #fromJson(InputStream)} reads one
 * of your own in the same format (see {@code docs/pricing.md}).
 *
 * <p>A model is found, ignoring case, by its canonical id, by one of its aliases, or by a dated snapshot
 * id: an id ending in a date ({@code -2024-08-06} or {@code -20250929}) finds the model named by the
 * rest ({@code claude-sonnet-4-5-20250929} finds {@code claude-sonnet-4-5}) unless the snapshot has an
 * entry or alias of its own, and only when the date is a real calendar date from 2020 on and, for a
 * price at an instant, not later than the day after that instant: {@code claude-sonnet-4-5-99999999}
 * and a snapshot dated after the call find nothing. No other suffix is stripped. Among a model's
 * prices, the one in effect at the requested instant applies, so recomputing an old call uses the
 * price valid then. Thread-safe.
 */
public final class PricingCatalog {
    private static final String BUNDLED = "/dev/tokenkeeper/pricing/catalog.json";
    private static final Pattern DATE_SUFFIX =
            Pattern.compile("-(?:(\\d{4})-(\\d{2})-(\\d{2})|(\\d{4})(\\d{2})(\\d{2}))$");
    /** No provider published a dated model id before this day. */
    private static final LocalDate EARLIEST_SNAPSHOT = LocalDate.of(2020, 1, 1);

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static volatile @Nullable PricingCatalog bundled;

    /** Key: provider + '/' + lower-case model id or alias. Value: prices, newest effective first. */
    private final Map<String, List<ModelPrice>> byKey;

    private final List<ModelPrice> all;
    /** provider + '/' + alias, as given, to the canonical model id. */
    private final Map<String, String> aliases;

    private PricingCatalog(Map<String, List<ModelPrice>> byKey, List<ModelPrice> all, Map<String, String> aliases) {
        this.byKey = byKey;
        this.all = List.copyOf(all);
        this.aliases = Map.copyOf(aliases);
    }

    /**
     * This catalog with {@code overrides} on top: an override replaces the price of the same model
     * taking effect at the same instant, and adds to the model's history otherwise. An override named
     * by an alias applies to the alias's model.
     */
    public PricingCatalog withOverrides(Collection<ModelPrice> overrides) {
        if (overrides.isEmpty()) {
            return this;
        }
        Map<String, String> canonical = new HashMap<>();
        aliases.forEach((alias, model) -> canonical.put(alias.toLowerCase(Locale.ROOT), model));
        Map<String, ModelPrice> merged = new java.util.LinkedHashMap<>();
        for (ModelPrice p : all) {
            merged.put(key(p.provider(), p.model()) + "@" + p.effectiveFrom(), p);
        }
        for (ModelPrice p : overrides) {
            String model = canonical.get(key(p.provider(), p.model()));
            ModelPrice q = model == null
                    ? p
                    : new ModelPrice(
                            p.provider(),
                            model,
                            p.effectiveFrom(),
                            p.rates(),
                            p.longContext(),
                            p.source(),
                            p.checkedOn());
            merged.put(key(q.provider(), q.model()) + "@" + q.effectiveFrom(), q);
        }
        return of(merged.values(), aliases);
    }

    /** The catalog shipped with TokenKeeper. */
    public static PricingCatalog bundled() {
        PricingCatalog c = bundled;
        if (c == null) {
            try (InputStream in = PricingCatalog.class.getResourceAsStream(BUNDLED)) {
                if (in == null) {
                    throw new IllegalStateException("bundled pricing catalog missing: " + BUNDLED);
                }
                c = fromJson(in);
            } catch (IOException e) {
                throw new IllegalStateException("bundled pricing catalog unreadable", e);
            }
            bundled = c;
        }
        return c;
    }

    /** An empty catalog. */
    public static PricingCatalog empty() {
        return of(List.of(), Map.of());
    }

    /**
     * A catalog of these prices.
     *
     * @param prices every price of every model
     * @param aliases extra names: provider + '/' + alias mapped to the canonical model id
     */
    public static PricingCatalog of(Collection<ModelPrice> prices, Map<String, String> aliases) {
        Map<String, List<ModelPrice>> byKey = new HashMap<>();
        for (ModelPrice p : prices) {
            byKey.computeIfAbsent(key(p.provider(), p.model()), k -> new ArrayList<>())
                    .add(p);
        }
        for (List<ModelPrice> list : byKey.values()) {
            list.sort(Comparator.comparing(ModelPrice::effectiveFrom).reversed());
            for (int i = 1; i < list.size(); i++) {
                if (list.get(i).effectiveFrom().equals(list.get(i - 1).effectiveFrom())) {
                    throw invalid("two prices of " + list.get(i).provider() + "/"
                            + list.get(i).model() + " take effect at the same instant "
                            + list.get(i).effectiveFrom());
                }
            }
        }
        aliases.forEach((alias, model) -> {
            String provider = alias.substring(0, alias.indexOf('/'));
            List<ModelPrice> target = byKey.get(key(provider, model));
            if (target == null) {
                throw invalid("alias " + alias + " names unknown model " + model);
            }
            if (byKey.putIfAbsent(alias.toLowerCase(Locale.ROOT), target) != null) {
                throw invalid("alias " + alias + " is also a model id or another alias");
            }
        });
        Map<String, List<ModelPrice>> frozen = new HashMap<>();
        byKey.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
        return new PricingCatalog(Map.copyOf(frozen), new ArrayList<>(prices), aliases);
    }

    /**
     * Reads a catalog in TokenKeeper's JSON format.
     *
     * @throws TokenKeeperException with {@code CONFIGURATION_INVALID} naming the offending entry
     */
    public static PricingCatalog fromJson(InputStream json) throws IOException {
        JsonNode root = MAPPER.readTree(json);
        if (root == null
                || root.path("format").asInt() != 1
                || !root.path("models").isArray()) {
            throw invalid("a pricing catalog is an object with \"format\": 1 and a \"models\" array");
        }
        List<ModelPrice> prices = new ArrayList<>();
        Map<String, String> aliases = new HashMap<>();
        for (JsonNode m : root.path("models")) {
            String provider = text(m, "provider", "a model");
            String model = text(m, "model", provider + " model");
            String where = provider + "/" + model;
            for (JsonNode alias : m.path("aliases")) {
                aliases.put(provider + "/" + alias.asText(), model);
            }
            if (!m.path("prices").isArray() || m.path("prices").isEmpty()) {
                throw invalid(where + ": \"prices\" must be a non-empty array");
            }
            for (JsonNode p : m.path("prices")) {
                try {
                    LongContextJson lc = null;
                    JsonNode l = p.path("long_context");
                    if (!l.isMissingNode()) {
                        lc = new LongContextJson(l.path("above_input_tokens").asLong(), rates(l, where));
                    }
                    prices.add(new ModelPrice(
                            provider,
                            model,
                            Instant.parse(text(p, "effective_from", where)),
                            rates(p, where),
                            lc == null ? null : new ModelPrice.LongContext(lc.above(), lc.rates()),
                            text(p, "source", where),
                            LocalDate.parse(text(p, "checked_on", where))));
                } catch (DateTimeParseException | dev.tokenkeeper.InvalidRequestException e) {
                    throw invalid(where + ": " + e.getMessage());
                }
            }
        }
        return of(prices, aliases);
    }

    private record LongContextJson(long above, Rates rates) {}

    private static Rates rates(JsonNode n, String where) {
        return new Rates(
                money(n, "input", where),
                money(n, "cached_input", where),
                money(n, "cache_write", where),
                money(n, "output", where));
    }

    private static Money money(JsonNode n, String field, String where) {
        JsonNode v = n.path(field);
        if (!v.isTextual()) {
            throw invalid(
                    where + ": \"" + field + "\" must be a decimal string such as \"0.15\" (never a JSON number)");
        }
        return Money.of(v.asText());
    }

    private static String text(JsonNode n, String field, String where) {
        JsonNode v = n.path(field);
        if (!v.isTextual() || v.asText().isBlank()) {
            throw invalid(where + ": \"" + field + "\" is required");
        }
        return v.asText();
    }

    private static TokenKeeperException invalid(String message) {
        return new TokenKeeperException(ErrorCode.CONFIGURATION_INVALID, "pricing catalog: " + message);
    }

    private static String key(String provider, String model) {
        return (provider + "/" + model).toLowerCase(Locale.ROOT);
    }

    /** The price of {@code provider}/{@code model} in effect at {@code at}, if the catalog has one. */
    public Optional<ModelPrice> find(String provider, String model, Instant at) {
        requireNonNull(at, "at");
        for (ModelPrice p : history(provider, model, at)) {
            if (!p.effectiveFrom().isAfter(at)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Every price of the model, newest effective first, found by canonical id, alias or dated
     * snapshot id as {@link #find} does; empty when the catalog does not know the model.
     */
    public List<ModelPrice> history(String provider, String model) {
        return history(provider, model, null);
    }

    /** {@code at}, when given, bounds the date of a snapshot id: at most the day after it (UTC). */
    private List<ModelPrice> history(String provider, String model, @Nullable Instant at) {
        requireNonNull(provider, "provider");
        requireNonNull(model, "model");
        List<ModelPrice> prices = byKey.get(key(provider, model));
        if (prices == null) {
            String undated = undated(
                    model,
                    at == null
                            ? null
                            : at.atOffset(ZoneOffset.UTC).toLocalDate().plusDays(1));
            if (undated != null) {
                prices = byKey.get(key(provider, undated));
            }
        }
        return prices == null ? List.of() : prices;
    }

    /**
     * The model id a dated snapshot id names: the id less its date suffix, when that is a real date from
     * 2020 on and not after {@code latest}; otherwise {@code null}.
     */
    private static @Nullable String undated(String model, @Nullable LocalDate latest) {
        Matcher m = DATE_SUFFIX.matcher(model);
        if (!m.find()) {
            return null;
        }
        int g = m.group(1) != null ? 1 : 4;
        LocalDate date;
        try {
            date = LocalDate.of(
                    Integer.parseInt(m.group(g)), Integer.parseInt(m.group(g + 1)), Integer.parseInt(m.group(g + 2)));
        } catch (DateTimeException e) {
            return null;
        }
        if (date.isBefore(EARLIEST_SNAPSHOT) || (latest != null && date.isAfter(latest))) {
            return null;
        }
        return model.substring(0, m.start());
    }

    /** The aliases: provider + '/' + alias, mapped to the canonical model id. */
    public Map<String, String> aliases() {
        return aliases;
    }

    /** Every price in the catalog, in no particular order. */
    public List<ModelPrice> prices() {
        return all;
    }
}
