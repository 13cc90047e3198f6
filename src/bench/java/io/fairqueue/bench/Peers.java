package io.fairqueue.bench;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.jobrunr.configuration.JobRunr;
import org.jobrunr.scheduling.JobScheduler;
import org.jobrunr.server.BackgroundJobServerConfiguration;
import org.jobrunr.storage.StorageProvider;
import org.jobrunr.storage.sql.common.SqlStorageProviderFactory;
import org.jobrunr.utils.mapper.jackson.JacksonJsonMapper;

/**
 * The same end-to-end workload through db-scheduler and JobRunr, each on its own database of the
 * same PostgreSQL: N trivial jobs submitted in batches of 500 by one thread while W worker threads
 * run them; the time from the first submit until the last job ran.
 */
final class Peers {

    /** Counted by the trivial job bodies. */
    static final AtomicInteger DONE = new AtomicInteger();

    private Peers() {}

    static HikariDataSource pool(String url, int size) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername("postgres");
        c.setMaximumPoolSize(size);
        return new HikariDataSource(c);
    }

    // ---- db-scheduler: lock-and-fetch polling (SELECT ... FOR UPDATE SKIP LOCKED), immediate execution

    static final String DB_SCHEDULER_TABLE = """
            CREATE TABLE IF NOT EXISTS scheduled_tasks (
              task_name text NOT NULL,
              task_instance text NOT NULL,
              task_data bytea,
              execution_time timestamp with time zone NOT NULL,
              picked boolean NOT NULL,
              picked_by text,
              last_success timestamp with time zone,
              last_failure timestamp with time zone,
              consecutive_failures int,
              last_heartbeat timestamp with time zone,
              version bigint NOT NULL,
              priority smallint,
              PRIMARY KEY (task_name, task_instance));
            CREATE INDEX IF NOT EXISTS execution_time_idx ON scheduled_tasks (execution_time);
            CREATE INDEX IF NOT EXISTS last_heartbeat_idx ON scheduled_tasks (last_heartbeat);
            CREATE INDEX IF NOT EXISTS priority_execution_time_idx ON scheduled_tasks (priority DESC, execution_time ASC);
            TRUNCATE scheduled_tasks;
            """;

    /** Jobs per second. */
    static double dbScheduler(String url, int jobs, int threads, int rep) throws Exception {
        try (HikariDataSource ds = pool(url, threads + 4)) {
            try (Connection c = ds.getConnection();
                    Statement s = c.createStatement()) {
                s.execute(DB_SCHEDULER_TABLE);
            }
            DONE.set(0);
            OneTimeTask<Void> task = Tasks.oneTime("noop").execute((inst, ctx) -> DONE.incrementAndGet());
            Scheduler scheduler = Scheduler.create(ds, task)
                    .threads(threads)
                    .pollingInterval(Duration.ofMillis(100))
                    .pollUsingLockAndFetch(0.5, 1.0)
                    .enableImmediateExecution()
                    .build();
            scheduler.start();
            try {
                long t0 = System.nanoTime();
                for (int from = 0; from < jobs; from += 500) {
                    List<TaskInstance<?>> batch = new ArrayList<>();
                    for (int i = from; i < Math.min(jobs, from + 500); i++) {
                        batch.add(task.instance(rep + "-" + i));
                    }
                    scheduler.scheduleBatch(batch, Instant.now());
                }
                return await(jobs, t0, "db-scheduler");
            } finally {
                scheduler.stop();
            }
        }
    }

    // ---- JobRunr: PostgreSQL storage provider, the smallest poll interval it accepts

    private static JobScheduler jobRunr;
    private static HikariDataSource jobRunrPool;
    static Duration jobRunrPoll;

    static double jobRunr(String url, int jobs, int threads) throws Exception {
        if (jobRunr == null) {
            jobRunrPool = pool(url, threads + 4);
            JacksonJsonMapper mapper = new JacksonJsonMapper();
            StorageProvider storage = SqlStorageProviderFactory.using(jobRunrPool);
            // JobRunr refuses anything below 5 s ("The smallest supported pollInterval is 5 seconds").
            jobRunrPoll = Duration.ofSeconds(5);
            BackgroundJobServerConfiguration server =
                    BackgroundJobServerConfiguration.usingStandardBackgroundJobServerConfiguration()
                            .andWorkerCount(threads)
                            .andPollInterval(jobRunrPoll);
            try {
                jobRunr = JobRunr.configure()
                        .useJsonMapper(mapper)
                        .useStorageProvider(storage)
                        .useBackgroundJobServer(server)
                        .initialize()
                        .getJobScheduler();
            } catch (RuntimeException e) {
                jobRunrPool.close();
                jobRunrPool = null;
                throw e;
            }
        }
        DONE.set(0);
        long t0 = System.nanoTime();
        try {
            for (int from = 0; from < jobs; from += 500) {
                jobRunr.enqueue(
                        IntStream.range(from, Math.min(jobs, from + 500)).boxed(), i -> NoopJob.run(i));
            }
            return await(jobs, t0, "JobRunr");
        } finally {
            // its background server polls and runs its maintenance until destroyed: left running,
            // it would share the CPU with every part measured after this one
            shutdown();
        }
    }

    static void shutdown() {
        if (jobRunr != null) {
            JobRunr.destroy();
            jobRunr = null;
            jobRunrPool.close();
            jobRunrPool = null;
        }
    }

    private static double await(int jobs, long t0, String who) throws InterruptedException {
        long deadline = t0 + TimeUnit.MINUTES.toNanos(10);
        while (DONE.get() < jobs) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        who + " ran only " + DONE.get() + " of " + jobs + " jobs in 10 minutes");
            }
            Thread.sleep(2);
        }
        return jobs / ((System.nanoTime() - t0) / 1e9);
    }
}
