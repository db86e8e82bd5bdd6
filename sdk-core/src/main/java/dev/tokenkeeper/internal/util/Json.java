package dev.tokenkeeper.internal.util;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** JSON text columns: string sets, integer lists and string maps, written the same way on every backend. */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final TypeReference<List<String>> LIST = new TypeReference<>() {};
    private static final TypeReference<LinkedHashMap<String, String>> MAP = new TypeReference<>() {};
    private static final TypeReference<List<Integer>> INTEGERS = new TypeReference<>() {};

    private Json() {}

    public static String write(Object value) {
        if (value instanceof Map<?, ?> m && m.isEmpty()) {
            return "{}";
        }
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    public static Set<String> readSet(@Nullable String json) {
        if (json == null || json.isEmpty()) {
            return Set.of();
        }
        try {
            return Collections.unmodifiableSet(new LinkedHashSet<>(MAPPER.readValue(json, LIST)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON array is corrupt", e);
        }
    }

    public static List<Integer> readIntegers(@Nullable String json) {
        if (json == null || json.isEmpty()) {
            return List.of();
        }
        try {
            return List.copyOf(MAPPER.readValue(json, INTEGERS));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON array is corrupt", e);
        }
    }

    public static Map<String, String> readMap(@Nullable String json) {
        if (json == null || json.isEmpty()) {
            return Map.of();
        }
        try {
            return Collections.unmodifiableMap(MAPPER.readValue(json, MAP));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON object is corrupt", e);
        }
    }
}
