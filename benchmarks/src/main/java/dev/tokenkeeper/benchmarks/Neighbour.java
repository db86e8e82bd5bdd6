package dev.tokenkeeper.benchmarks;

import java.time.Duration;

/**
 * Keeps one core busy for a given time, as a second thread of the measured process would (the
 * ledger's writer, say), so that a benchmark run beside it shows what a busy neighbour costs a thread
 * on this machine: {@code alu} multiplies in registers and touches no memory, {@code memory} walks a
 * 64 MB array, one long per cache line.
 *
 * <pre>java -cp benchmarks.jar dev.tokenkeeper.benchmarks.Neighbour alu|memory [seconds, default 600]</pre>
 */
public final class Neighbour {
    private Neighbour() {}

    public static void main(String[] args) {
        if (args.length < 1 || !(args[0].equals("alu") || args[0].equals("memory"))) {
            System.err.println("usage: Neighbour alu|memory [seconds]");
            System.exit(2);
        }
        long end = System.nanoTime()
                + Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 600)
                        .toNanos();
        long sink = args[0].equals("alu") ? alu(end) : memory(end);
        if (sink == 42) { // keeps the JIT from dropping the loops
            System.out.println(sink);
        }
    }

    private static long alu(long end) {
        long s = 1;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 1_000_000; i++) {
                s = s * 6364136223846793005L + 1442695040888963407L;
            }
        }
        return s;
    }

    private static long memory(long end) {
        long[] a = new long[8 << 20];
        long s = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < a.length; i += 8) {
                a[i] += i;
                s += a[i];
            }
        }
        return s;
    }
}
