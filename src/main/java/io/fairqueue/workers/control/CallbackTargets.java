package io.fairqueue.workers.control;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.util.Optional;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The node's {@link CallbackAllowlist}, from {@code fairqueue.push.allowed-hosts} (env
 * {@code FAIRQUEUE_PUSH_ALLOWED_HOSTS}). Empty by default: push dispatch is off until an operator
 * names the network its workers live in. An invalid setting is logged (SEVERE, naming the entry)
 * and allows nothing, rather than something other than what was meant.
 */
@ApplicationScoped
public class CallbackTargets {

    private static final Logger LOG = Logger.getLogger(CallbackTargets.class.getName());

    public static final String KEY = "fairqueue.push.allowed-hosts";

    @Inject
    @ConfigProperty(name = KEY)
    Optional<String> setting;

    private CallbackAllowlist allowlist;

    @PostConstruct
    void read() {
        try {
            allowlist = CallbackAllowlist.parse(setting.orElse(""));
        } catch (IllegalArgumentException e) {
            LOG.severe(KEY + " is invalid, so push dispatch is off: " + e.getMessage());
            allowlist = CallbackAllowlist.parse("");
        }
        LOG.info(
                allowlist.isEmpty()
                        ? "Push dispatch is off (" + KEY + " is empty)"
                        : "Push callbacks allowed to: " + setting.orElse(""));
    }

    /** Checks a callback URL now, resolving its host now. */
    public CallbackAllowlist.Target check(String url) throws CallbackAllowlist.Refused {
        return allowlist.check(url, InetAddress::getAllByName);
    }
}
