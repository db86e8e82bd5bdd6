package dev.tokenkeeper.internal.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OpenSetTest {
    static final class Item extends OpenSet.Member {}

    private static Set<Item> members(OpenSet<Item> set) {
        Set<Item> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        set.forEach(i -> assertThat(seen.add(i)).as("each member once").isTrue());
        return seen;
    }

    private static List<Item> items(int n) {
        List<Item> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            items.add(new Item());
        }
        return items;
    }

    @Test
    @DisplayName("members added are walked once each; removed ones are not; a second remove does nothing")
    void addWalkRemove() {
        OpenSet<Item> set = new OpenSet<>();
        List<Item> items = items(3);
        items.forEach(set::add);
        assertThat(members(set)).containsExactlyInAnyOrderElementsOf(items);
        items.get(1).remove();
        items.get(1).remove();
        assertThat(members(set)).containsExactlyInAnyOrder(items.get(0), items.get(2));
        assertThat(set.size()).isEqualTo(2);
        items.get(1).remove();
        set.add(items.get(1)); // removed, it can be added again
        assertThat(set.size()).isEqualTo(3);
    }

    @Test
    @DisplayName("the set grows past its first chunks without losing or moving a member")
    void grows() {
        OpenSet<Item> set = new OpenSet<>();
        List<Item> items = items(50_000);
        items.forEach(set::add);
        assertThat(members(set)).hasSize(50_000).containsAll(items);
        for (int i = 0; i < items.size(); i += 2) {
            items.get(i).remove();
        }
        Set<Item> left = members(set);
        assertThat(left).hasSize(25_000);
        for (int i = 1; i < items.size(); i += 2) {
            assertThat(left).contains(items.get(i));
        }
    }

    @Test
    @DisplayName("trim gives back chunks left empty and keeps those in use; adds work after it")
    void trims() {
        OpenSet<Item> set = new OpenSet<>();
        List<Item> burst = items(20_000);
        burst.forEach(set::add);
        Item stays = burst.get(123);
        for (Item i : burst) {
            if (i != stays) {
                i.remove();
            }
        }
        set.trim();
        assertThat(members(set)).containsExactly(stays);
        stays.remove();
        set.trim();
        assertThat(set.size()).isZero();
        List<Item> again = items(5_000);
        again.forEach(set::add);
        assertThat(members(set)).hasSize(5_000).containsAll(again);
        again.forEach(OpenSet.Member::remove);
        assertThat(set.size()).isZero();
    }

    @Test
    @DisplayName("threads adding and removing at once lose no member and keep no removed one")
    void concurrent() throws Exception {
        OpenSet<Item> set = new OpenSet<>();
        int threads = 4;
        int perThread = 20_000;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<Item>>> kept = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                kept.add(pool.submit(() -> {
                    List<Item> mine = items(perThread);
                    List<Item> keep = new ArrayList<>();
                    start.await();
                    for (int i = 0; i < mine.size(); i++) {
                        set.add(mine.get(i));
                        if (i % 3 == 0) {
                            keep.add(mine.get(i));
                        } else {
                            mine.get(i).remove();
                        }
                        if (i % 5_000 == 0) {
                            set.trim(); // trims race the adds too
                        }
                    }
                    return keep;
                }));
            }
            List<Item> expected = new ArrayList<>();
            for (Future<List<Item>> f : kept) {
                expected.addAll(f.get(60, TimeUnit.SECONDS));
            }
            assertThat(members(set)).hasSize(expected.size()).containsAll(expected);
        } finally {
            pool.shutdownNow();
        }
    }
}
