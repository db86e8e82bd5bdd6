package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.SecretRow;
import dev.tokenkeeper.internal.storage.StorageTx;
import dev.tokenkeeper.internal.storage.TokenRow;
import dev.tokenkeeper.internal.storage.TokenStore;
import dev.tokenkeeper.internal.util.Json;
import dev.tokenkeeper.tokens.Role;
import dev.tokenkeeper.tokens.TokenStatus;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;
import org.jspecify.annotations.Nullable;

final class JdbcTokenStore implements TokenStore {
    private static final String COLUMNS = "id, tenant_id, name, display_prefix, user_id, project_id, role, scopes,"
            + " allowed_providers, allowed_models, metadata, created_at, created_by, expires_at, revoked_at,"
            + " revoked_by, revoke_reason, rotated_at, last_used_at, updated_at";

    private static final String T_COLUMNS = java.util.Arrays.stream(COLUMNS.split(","))
            .map(c -> "t." + c.strip())
            .collect(java.util.stream.Collectors.joining(", "));

    private static final RowMapper<TokenRow> TOKEN = (rs, ctx) -> new TokenRow(
            rs.getString("id"),
            rs.getString("tenant_id"),
            rs.getString("name"),
            rs.getString("display_prefix"),
            rs.getString("user_id"),
            rs.getString("project_id"),
            Role.valueOf(rs.getString("role")),
            Json.readSet(rs.getString("scopes")),
            Json.readSet(rs.getString("allowed_providers")),
            Json.readSet(rs.getString("allowed_models")),
            Json.readMap(rs.getString("metadata")),
            rs.getLong("created_at"),
            rs.getString("created_by"),
            nullableLong(rs, "expires_at"),
            nullableLong(rs, "revoked_at"),
            rs.getString("revoked_by"),
            rs.getString("revoke_reason"),
            nullableLong(rs, "rotated_at"),
            nullableLong(rs, "last_used_at"),
            rs.getLong("updated_at"));

    static @Nullable Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    @Override
    public void insertToken(StorageTx tx, TokenRow r) {
        JdbcTx.of(tx)
                .createUpdate("INSERT INTO tk_tokens (" + COLUMNS + ") VALUES (:id, :tenant, :name, :prefix, :user,"
                        + " :project, :role, :scopes, :providers, :models, :metadata, :createdAt, :createdBy,"
                        + " :expiresAt, :revokedAt, :revokedBy, :revokeReason, :rotatedAt, :lastUsedAt, :updatedAt)")
                .bind("id", r.id())
                .bind("tenant", r.tenantId())
                .bind("name", r.name())
                .bind("prefix", r.displayPrefix())
                .bind("user", r.userId())
                .bind("project", r.projectId())
                .bind("role", r.role().name())
                .bind("scopes", Json.write(r.scopes()))
                .bind("providers", Json.write(r.allowedProviders()))
                .bind("models", Json.write(r.allowedModels()))
                .bind("metadata", Json.write(r.metadata()))
                .bind("createdAt", r.createdAt())
                .bind("createdBy", r.createdBy())
                .bind("expiresAt", r.expiresAt())
                .bind("revokedAt", r.revokedAt())
                .bind("revokedBy", r.revokedBy())
                .bind("revokeReason", r.revokeReason())
                .bind("rotatedAt", r.rotatedAt())
                .bind("lastUsedAt", r.lastUsedAt())
                .bind("updatedAt", r.updatedAt())
                .execute();
    }

    @Override
    public void insertSecret(StorageTx tx, SecretRow r) {
        JdbcTx.of(tx)
                .createUpdate("INSERT INTO tk_token_secrets (secret_hash, token_id, tenant_id, display_prefix,"
                        + " created_at, expires_at) VALUES (:hash, :token, :tenant, :prefix, :createdAt, :expiresAt)")
                .bind("hash", r.secretHash())
                .bind("token", r.tokenId())
                .bind("tenant", r.tenantId())
                .bind("prefix", r.displayPrefix())
                .bind("createdAt", r.createdAt())
                .bind("expiresAt", r.expiresAt())
                .execute();
    }

    @Override
    public Optional<TokenRow> find(StorageTx tx, String tenantId, String tokenId) {
        return JdbcTx.of(tx)
                .createQuery("SELECT " + COLUMNS + " FROM tk_tokens WHERE tenant_id = :tenant AND id = :id")
                .bind("tenant", tenantId)
                .bind("id", tokenId)
                .map(TOKEN)
                .findOne();
    }

    @Override
    public Optional<TokenWithSecrets> findByHash(StorageTx tx, String secretHash) {
        return withSecrets(
                tx,
                "FROM tk_token_secrets h JOIN tk_tokens t ON t.id = h.token_id"
                        + " JOIN tk_token_secrets s ON s.token_id = t.id WHERE h.secret_hash = :key",
                secretHash);
    }

    @Override
    public Optional<TokenWithSecrets> findById(StorageTx tx, String tokenId) {
        return withSecrets(
                tx, "FROM tk_tokens t JOIN tk_token_secrets s ON s.token_id = t.id WHERE t.id = :key", tokenId);
    }

    private static Optional<TokenWithSecrets> withSecrets(StorageTx tx, String from, String key) {
        String sql = "SELECT " + T_COLUMNS + ", s.secret_hash AS s_hash, s.display_prefix AS s_prefix,"
                + " s.created_at AS s_created_at, s.expires_at AS s_expires_at " + from;
        return JdbcTx.of(tx).createQuery(sql).bind("key", key).scanResultSet((supplier, ctx) -> {
            ResultSet rs = supplier.get();
            TokenRow token = null;
            List<SecretRow> secrets = new ArrayList<>(2);
            while (rs.next()) {
                if (token == null) {
                    token = TOKEN.map(rs, ctx);
                }
                secrets.add(new SecretRow(
                        rs.getString("s_hash"),
                        token.id(),
                        token.tenantId(),
                        rs.getString("s_prefix"),
                        rs.getLong("s_created_at"),
                        nullableLong(rs, "s_expires_at")));
            }
            return token == null ? Optional.empty() : Optional.of(new TokenWithSecrets(token, secrets));
        });
    }

    @Override
    public List<TokenRow> list(
            StorageTx tx,
            String tenantId,
            @Nullable String userId,
            @Nullable String projectId,
            @Nullable TokenStatus status,
            long now,
            @Nullable String afterId,
            int limit) {
        Conditions c = new Conditions()
                .where("tenant_id = :tenant", "tenant", tenantId)
                .equal("user_id", "user", userId)
                .equal("project_id", "project", projectId)
                .whereIf(afterId, "id < :after", "after");
        if (status == TokenStatus.ACTIVE) {
            c.where("revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)", "now", now);
        } else if (status == TokenStatus.EXPIRED) {
            c.where("revoked_at IS NULL AND expires_at <= :now", "now", now);
        } else if (status == TokenStatus.REVOKED) {
            c.where("revoked_at IS NOT NULL");
        }
        Query q = JdbcTx.of(tx)
                .createQuery("SELECT " + COLUMNS + " FROM tk_tokens" + c.sql() + " ORDER BY id DESC LIMIT :limit");
        return c.bind(q).bind("limit", limit).map(TOKEN).list();
    }

    @Override
    public int revoke(StorageTx tx, String tenantId, String tokenId, long at, String by, @Nullable String reason) {
        return JdbcTx.of(tx)
                .createUpdate("UPDATE tk_tokens SET revoked_at = :at, revoked_by = :by, revoke_reason = :reason,"
                        + " updated_at = " + nextUpdatedAt("at") + " WHERE tenant_id = :tenant AND id = :id"
                        + " AND revoked_at IS NULL")
                .bind("at", at)
                .bind("by", by)
                .bind("reason", reason)
                .bind("tenant", tenantId)
                .bind("id", tokenId)
                .execute();
    }

    @Override
    public int markRotated(StorageTx tx, String tenantId, String tokenId, String displayPrefix, long now) {
        return JdbcTx.of(tx)
                .createUpdate("UPDATE tk_tokens SET display_prefix = :prefix, rotated_at = :now, updated_at = "
                        + nextUpdatedAt("now")
                        + " WHERE tenant_id = :tenant AND id = :id AND revoked_at IS NULL"
                        + " AND (expires_at IS NULL OR expires_at > :now)")
                .bind("prefix", displayPrefix)
                .bind("now", now)
                .bind("tenant", tenantId)
                .bind("id", tokenId)
                .execute();
    }

    @Override
    public void expireSecrets(StorageTx tx, String tokenId, long until) {
        JdbcTx.of(tx)
                .createUpdate("UPDATE tk_token_secrets SET expires_at = :until"
                        + " WHERE token_id = :token AND (expires_at IS NULL OR expires_at > :until)")
                .bind("until", until)
                .bind("token", tokenId)
                .execute();
    }

    @Override
    public int updateExpiry(StorageTx tx, String tenantId, String tokenId, @Nullable Long expiresAt, long now) {
        return JdbcTx.of(tx)
                .createUpdate("UPDATE tk_tokens SET expires_at = :expiresAt, updated_at = " + nextUpdatedAt("now")
                        + " WHERE tenant_id = :tenant AND id = :id AND revoked_at IS NULL")
                .bind("expiresAt", expiresAt)
                .bind("now", now)
                .bind("tenant", tenantId)
                .bind("id", tokenId)
                .execute();
    }

    /**
     * The new {@code updated_at} of a changed token: the time, or one more than the stored value when
     * that is not earlier, so every change makes it grow (even two in one millisecond, or on an
     * instance whose clock is behind) and a cached state with the current value reflects every change.
     */
    private static String nextUpdatedAt(String timeParameter) {
        return "CASE WHEN updated_at >= :" + timeParameter + " THEN updated_at + 1 ELSE :" + timeParameter + " END";
    }

    @Override
    public List<Change> changedSince(StorageTx tx, long since) {
        return JdbcTx.of(tx)
                .createQuery("SELECT id, updated_at FROM tk_tokens WHERE updated_at >= :since")
                .bind("since", since)
                .map((rs, ctx) -> new Change(rs.getString("id"), rs.getLong("updated_at")))
                .list();
    }

    @Override
    public void touchLastUsed(StorageTx tx, Map<String, Long> lastUsedByTokenId) {
        Handle h = JdbcTx.of(tx);
        PreparedBatch batch = h.prepareBatch("UPDATE tk_tokens SET last_used_at = :at"
                + " WHERE id = :id AND (last_used_at IS NULL OR last_used_at < :at)");
        lastUsedByTokenId.forEach(
                (id, at) -> batch.bind("id", id).bind("at", at).add());
        if (batch.size() > 0) {
            batch.execute();
        }
    }
}
