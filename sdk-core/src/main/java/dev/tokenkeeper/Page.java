package dev.tokenkeeper;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One page of a keyset-paginated listing.
 *
 * @param items the items of this page, in the listing's order
 * @param nextCursor an opaque cursor for the next page, or {@code null} on the last page
 * @param <T> the item type
 */
public record Page<T>(List<T> items, @Nullable String nextCursor) {
    public Page {
        items = List.copyOf(requireNonNull(items, "items"));
    }

    /** The cursor for the next page, empty on the last page. */
    public Optional<String> next() {
        return Optional.ofNullable(nextCursor);
    }

    /** Whether another page follows. */
    public boolean hasNext() {
        return nextCursor != null;
    }
}
