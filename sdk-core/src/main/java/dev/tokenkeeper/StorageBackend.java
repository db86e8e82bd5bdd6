package dev.tokenkeeper;

/** The database a {@link TokenKeeper} stores its state in. */
public enum StorageBackend {
    /** An embedded SQLite file: the default, for one instance. */
    SQLITE("sqlite"),
    /** PostgreSQL: for production, and for several instances sharing state. */
    POSTGRESQL("postgresql");

    private final String id;

    StorageBackend(String id) {
        this.id = id;
    }

    /** The lower-case name used in health details and logs: {@code sqlite} or {@code postgresql}. */
    public String id() {
        return id;
    }
}
