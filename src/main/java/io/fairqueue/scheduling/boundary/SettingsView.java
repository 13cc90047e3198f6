package io.fairqueue.scheduling.boundary;

import io.fairqueue.scheduling.entity.Settings;

/** The settings as SPEC §4 shapes them, plus {@code globalRunning} while a global limit is set. */
public record SettingsView(PerUserSerialization perUserSerialization, Integer globalSlots, Integer globalRunning) {

    public record PerUserSerialization(boolean enabled, int lockTimeoutSeconds) {}

    public static SettingsView of(Settings s) {
        return new SettingsView(
                new PerUserSerialization(s.perUserSerialization(), s.lockTimeoutSeconds()),
                s.globalSlots(),
                s.globalSlots() == null ? null : s.running());
    }
}
