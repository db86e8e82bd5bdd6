package dev.tokenkeeper.usage;

/** What a usage breakdown groups by. */
public enum UsageDimension {
    PROVIDER("provider"),
    MODEL("model"),
    PROJECT("project_id"),
    USER("user_id"),
    TOKEN("token_id");

    private final String column;

    UsageDimension(String column) {
        this.column = column;
    }

    /** The roll-up column, for storage implementations. */
    public String column() {
        return column;
    }
}
