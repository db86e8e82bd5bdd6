package dev.tokenkeeper.internal.storage.jdbc;

import dev.tokenkeeper.internal.storage.SettingsStore;
import dev.tokenkeeper.internal.storage.StorageTx;
import java.util.Optional;

final class JdbcSettingsStore implements SettingsStore {
    @Override
    public Optional<String> find(StorageTx tx, String key) {
        return JdbcTx.of(tx)
                .createQuery("SELECT setting_value FROM tk_settings WHERE setting_key = :k")
                .bind("k", key)
                .mapTo(String.class)
                .findOne();
    }

    @Override
    public boolean insertIfAbsent(StorageTx tx, String key, String value) {
        return JdbcTx.of(tx)
                        .createUpdate("INSERT INTO tk_settings (setting_key, setting_value) VALUES (:k, :v)"
                                + " ON CONFLICT (setting_key) DO NOTHING")
                        .bind("k", key)
                        .bind("v", value)
                        .execute()
                == 1;
    }
}
