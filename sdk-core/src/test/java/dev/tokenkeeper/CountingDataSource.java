package dev.tokenkeeper;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** Passes through to a real DataSource, counting connections taken; can be switched off. */
final class CountingDataSource implements DataSource {
    private final DataSource delegate;
    final AtomicInteger connections = new AtomicInteger();
    private final java.util.Map<Thread, AtomicInteger> byThread = new java.util.concurrent.ConcurrentHashMap<>();
    volatile boolean down;

    CountingDataSource(DataSource delegate) {
        this.delegate = delegate;
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (down) {
            throw new SQLException("database is down (test)");
        }
        connections.incrementAndGet();
        byThread.computeIfAbsent(Thread.currentThread(), t -> new AtomicInteger())
                .incrementAndGet();
        return delegate.getConnection();
    }

    /** Connections taken by the calling thread: not by background work (checkpoints, leases, price sync). */
    int takenHere() {
        AtomicInteger n = byThread.get(Thread.currentThread());
        return n == null ? 0 : n.get();
    }

    /** Connections taken by the threads of that name, alive or not. */
    int takenByThreadsNamed(String name) {
        return byThread.entrySet().stream()
                .filter(e -> e.getKey().getName().equals(name))
                .mapToInt(e -> e.getValue().get())
                .sum();
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return delegate.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        delegate.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        delegate.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return delegate.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return delegate.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return delegate.isWrapperFor(iface);
    }
}
