package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.TokenKeeper;
import dev.tokenkeeper.servlet.TokenKeeperFilter;
import dev.tokenkeeper.tokens.TokenSpec;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The servlet filter's cost per authorized request: {@code doFilter} with a cached token (1,000
 * active, cycled) and no rate limit, against the same request going straight to the chain. The
 * request and response are minimal stand-ins (dynamic proxies), so the figure is the filter's own
 * work, without a container or a network.
 *
 * <pre>
 * mvn -q -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar FilterBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {Forks.MIN_HEAP, Forks.MAX_HEAP, Forks.PRE_TOUCH})
@State(Scope.Benchmark)
public class FilterBenchmark {
    static final int TOKENS = 1000;

    Path dir;
    TokenKeeper keeper;
    TokenKeeperFilter filter;
    HttpServletRequest[] requests;
    HttpServletResponse response;
    int next;
    final FilterChain chain = (ServletRequest req, ServletResponse res) -> {};

    @Setup(Level.Trial)
    public void open() throws Exception {
        dir = Files.createTempDirectory("tk-filter-bench");
        keeper = TokenKeeper.builder()
                .sqliteFile(dir.resolve("bench.db"))
                .shutdownHook(false)
                .build();
        keeper.tenants().ensure("bench", "Benchmark");
        filter = TokenKeeperFilter.builder(keeper).build();
        requests = new HttpServletRequest[TOKENS];
        for (int i = 0; i < TOKENS; i++) {
            String secret = keeper.tokens()
                    .issue(TokenSpec.builder().tenant("bench").name("t" + i).build())
                    .secret();
            requests[i] = request("Bearer " + secret);
            filter.doFilter(requests[i], response(), chain); // warm the caches
        }
        response = response();
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        keeper.close();
        TempDir.delete(dir);
    }

    static HttpServletRequest request(String authorization) {
        Map<String, Object> attributes = new HashMap<>();
        return (HttpServletRequest) Proxy.newProxyInstance(
                FilterBenchmark.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getHeader" -> "Authorization".equalsIgnoreCase((String) args[0]) ? authorization : null;
                    case "getHeaders" ->
                        "Authorization".equalsIgnoreCase((String) args[0])
                                ? Collections.enumeration(List.of(authorization))
                                : Collections.emptyEnumeration();
                    case "getRequestURI" -> "/v1/chat/completions";
                    case "getContextPath" -> "";
                    case "getRemoteAddr" -> "10.0.0.1";
                    case "setAttribute" -> attributes.put((String) args[0], args[1]);
                    case "getAttribute" -> attributes.get((String) args[0]);
                    case "getParameter" -> null;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    static HttpServletResponse response() {
        return (HttpServletResponse) Proxy.newProxyInstance(
                FilterBenchmark.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class},
                (proxy, method, args) -> {
                    throw new UnsupportedOperationException(
                            "an admitted request writes no response: " + method.getName());
                });
    }

    /** The request straight to the chain: the baseline. */
    @Benchmark
    public HttpServletRequest bare() throws Exception {
        next = (next + 1) % TOKENS;
        HttpServletRequest r = requests[next];
        chain.doFilter(r, response);
        return r;
    }

    /** The same through the filter: verify (cached), no rate limit, principal set, chain. */
    @Benchmark
    public HttpServletRequest filtered() throws Exception {
        next = (next + 1) % TOKENS;
        HttpServletRequest r = requests[next];
        filter.doFilter(r, response, chain);
        return r;
    }
}
