package io.fairqueue.users.boundary;

import io.fairqueue.quotas.boundary.QuotaView;
import java.util.List;

/**
 * The answer of {@code GET /admin/fairness}: how the slots are shared right now. {@code total} is
 * the number of users, {@code matched} how many match the request (with no {@code user} filter:
 * those with jobs running or waiting), {@code users} the first {@code limit} of them, busiest
 * first, each with its quota windows.
 */
public record FairnessView(long total, long matched, List<Share> users) {

    /** One user's share: its limits and live counts, and its quota windows. */
    public record Share(UserView user, QuotaView.Status quota) {}
}
