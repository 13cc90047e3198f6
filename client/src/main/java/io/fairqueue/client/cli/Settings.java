package io.fairqueue.client.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * Where the CLI finds its server and token, first match wins: {@code --url} / {@code --token},
 * then {@code FAIRQUEUE_URL} / {@code FAIRQUEUE_TOKEN}, then the profile file
 * ({@code ~/.config/fairqueue/config}, or {@code FAIRQUEUE_CONFIG}), a properties file with
 * {@code url=} and {@code token=}, and {@code <profile>.url=} / {@code <profile>.token=} for
 * {@code --profile NAME}.
 */
record Settings(String url, String token) {

    /** The default server when nothing names one. */
    static final String DEFAULT_URL = "http://localhost:8080";

    /** Resolves the settings from the options, the environment and the profile file. */
    static Settings resolve(String urlOption, String tokenOption, String profile, Map<String, String> env) {
        Properties file = load(env);
        String prefix = profile == null ? "" : profile + ".";
        if (profile != null && !file.containsKey(prefix + "url") && !file.containsKey(prefix + "token")) {
            throw new IllegalArgumentException("no profile '" + profile + "' in " + configPath(env));
        }
        String url =
                first(urlOption, profile == null ? env.get("FAIRQUEUE_URL") : null, file.getProperty(prefix + "url"));
        String token = first(
                tokenOption, profile == null ? env.get("FAIRQUEUE_TOKEN") : null, file.getProperty(prefix + "token"));
        return new Settings(url == null ? DEFAULT_URL : url, token);
    }

    static Path configPath(Map<String, String> env) {
        String explicit = env.get("FAIRQUEUE_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("fairqueue").resolve("config");
    }

    private static Properties load(Map<String, String> env) {
        Properties p = new Properties();
        Path path = configPath(env);
        if (Files.isRegularFile(path)) {
            try (Reader r = Files.newBufferedReader(path)) {
                p.load(r);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + path + ": " + e.getMessage());
            }
        }
        return p;
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.strip();
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "Settings[url=" + url + ", token=" + (token == null ? "none" : "***") + "]";
    }
}
