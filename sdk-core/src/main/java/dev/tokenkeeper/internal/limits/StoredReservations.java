package dev.tokenkeeper.internal.limits;

import dev.tokenkeeper.internal.storage.Storage;
import dev.tokenkeeper.internal.util.Ids;
import dev.tokenkeeper.limits.Limit;
import dev.tokenkeeper.limits.LimitWindow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Shared budgets reserved call by call: every budget of a call in one database transaction, each a
 * conditional update of its window's counter (used + reserved + units within amount + grace) with a
 * reservation row that expires with the permit. The ledger's writer releases a call's rows in the
 * transaction that stores its event.
 */
final class StoredReservations implements BudgetStrategy {
    private final Storage storage;

    StoredReservations(Storage storage) {
        this.storage = storage;
    }

    /** Thrown inside the reservation transaction to roll it back. */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int index;

        Refused(int index) {
            super(null, null, false, false);
            this.index = index;
        }
    }

    @Override
    public int reserve(
            List<Limit> limits,
            long[] units,
            Instant at,
            Ids.Deferred permitKey,
            long expiresAt,
            List<Hold> into,
            @Nullable Object @Nullable [] hints) {
        List<Hold> holds;
        try {
            holds = storage.write(tx -> {
                List<Hold> held = new ArrayList<>(limits.size());
                for (int i = 0; i < limits.size(); i++) {
                    Limit l = limits.get(i);
                    if (l.period().rolling()) {
                        continue;
                    }
                    LimitWindow w = l.windowAt(at);
                    String rid = permitKey + ":" + l.id();
                    long claimed = storage.counters()
                            .reserve(
                                    tx,
                                    rid,
                                    l.id(),
                                    w.start().toEpochMilli(),
                                    units[i],
                                    l.amount() + l.grace(),
                                    expiresAt);
                    if (claimed < 0) {
                        throw new Refused(i);
                    }
                    held.add(new Hold.Stored(l, w, rid, units[i], claimed));
                }
                return held;
            });
        } catch (Refused r) {
            return r.index; // rolled back: nothing was reserved
        }
        into.addAll(holds);
        return -1;
    }

    /** Sets each stored reservation to the call's real usage, so the counters see it before the ledger does. */
    void adjust(List<Hold.Stored> holds, long[] actualUnits) {
        storage.write(tx -> {
            for (int i = 0; i < holds.size(); i++) {
                storage.counters().adjustReservation(tx, holds.get(i).reservationId(), actualUnits[i]);
            }
            return null;
        });
    }

    /** Releases reservations by id. */
    void release(List<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        storage.write(tx -> {
            for (String id : ids) {
                storage.counters().releaseReservation(tx, id);
            }
            return null;
        });
    }

    /** Releases the reservations whose permits expired, on any instance. */
    int releaseExpired(Instant now) {
        return storage.write(tx -> storage.counters().releaseExpiredReservations(tx, now.toEpochMilli()));
    }
}
