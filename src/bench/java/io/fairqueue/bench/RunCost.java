package io.fairqueue.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * What one end-to-end run cost the machine, per job: CPU of PostgreSQL (every {@code postgres}
 * process, and the backends that exited meanwhile, from {@code /proc}), CPU of the system's own
 * process (FairQueue's Payara, or for the peers the benchmark's JVM they run in) and WAL bytes
 * written ({@code pg_current_wal_insert_lsn}). Every system shares one PostgreSQL, so a run is
 * measured alone: nothing else of the benchmark runs meanwhile.
 */
final class RunCost {

    /** Linux's USER_HZ: what {@code /proc/<pid>/stat} counts CPU time in. */
    private static final double MS_PER_TICK = 10;

    /**
     * A run's throughput and costs per job; {@code busyCores}: how many of the machine's cores were
     * busy on average during the run (everything on it, from {@code /proc/stat}), over the run's
     * measured time ({@code jobs / jobsPerSec}; a FairQueue run's workers return up to a second
     * later, idle, see {@code EndToEnd#fairQueue}).
     */
    record Cost(
            double jobsPerSec, double pgCpuMs, double appCpuMs, double jitCpuMs, double walBytes, double busyCores) {}

    private RunCost() {}

    /** Runs {@code run} (which answers jobs per second for {@code jobs} jobs) and measures what it cost. */
    static Cost measure(int jobs, ProcessHandle app, Callable<Double> run) throws Exception {
        long pg0 = postgresTicks();
        long app0 = treeTicks(app);
        long jit0 = compilerTicks(app);
        long wal0 = walPosition();
        long busy0 = busyTicks();
        long t0 = System.nanoTime();
        double perSec = run.call();
        double seconds = (System.nanoTime() - t0) / 1e9;
        long busy = busyTicks() - busy0;
        long wal = walPosition() - wal0;
        long appTicks = treeTicks(app) - app0;
        long jitTicks = compilerTicks(app) - jit0;
        long pgTicks = postgresTicks() - pg0;
        return new Cost(
                perSec,
                pgTicks * MS_PER_TICK / jobs,
                appTicks * MS_PER_TICK / jobs,
                jitTicks * MS_PER_TICK / jobs,
                wal / (double) jobs,
                busy * MS_PER_TICK / 1000 / Math.min(seconds, jobs / perSec));
    }

    /** The machine's busy CPU ticks since boot, all cores: user, nice, system, irq, softirq, steal. */
    static long busyTicks() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        // cpu user nice system idle iowait irq softirq steal ...
        return Long.parseLong(f[1])
                + Long.parseLong(f[2])
                + Long.parseLong(f[3])
                + Long.parseLong(f[6])
                + Long.parseLong(f[7])
                + Long.parseLong(f[8]);
    }

    /** Bytes of WAL inserted since the cluster began. */
    static long walPosition() throws SQLException {
        try (Connection c = BenchDatabase.connect("postgres");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** One line of {@code /proc/<pid>/stat} or {@code /proc/<pid>/task/<tid>/stat}, in ticks. */
    private record ProcStat(String name, long parent, long cpu, long reapedChildrenCpu) {

        /** The process or thread's stat; null if it ended meanwhile. */
        static ProcStat read(Path stat) {
            String line;
            try {
                line = Files.readString(stat);
            } catch (IOException gone) {
                return null;
            }
            int close = line.lastIndexOf(')');
            // after the name: state ppid ... utime(11) stime(12) cutime(13) cstime(14)
            String[] f = line.substring(close + 2).split(" ");
            return new ProcStat(
                    line.substring(line.indexOf('(') + 1, close),
                    Long.parseLong(f[1]),
                    Long.parseLong(f[11]) + Long.parseLong(f[12]),
                    Long.parseLong(f[13]) + Long.parseLong(f[14]));
        }
    }

    /**
     * CPU ticks of every PostgreSQL process alive, plus those its postmaster has reaped (its
     * children's time): backends that ended during the run still count.
     */
    static long postgresTicks() throws IOException {
        Map<Long, ProcStat> stats = new HashMap<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String pid = p.getFileName().toString();
                ProcStat stat = pid.chars().allMatch(Character::isDigit) ? ProcStat.read(p.resolve("stat")) : null;
                if (stat != null) {
                    stats.put(Long.parseLong(pid), stat);
                }
            }
        }
        long ticks = 0;
        for (ProcStat s : stats.values()) {
            if (s.name().equals("postgres")) {
                ProcStat parent = stats.get(s.parent());
                boolean postmaster = parent == null || !parent.name().equals("postgres");
                ticks += s.cpu() + (postmaster ? s.reapedChildrenCpu() : 0); // the ended backends' time
            }
        }
        return ticks;
    }

    /**
     * CPU ticks of the JIT compiler threads (HotSpot's "C1 CompilerThre..." and "C2 CompilerThre...")
     * of a process and its descendants: how much of the process's CPU is still compiling.
     */
    static long compilerTicks(ProcessHandle root) {
        return tree(root)
                .mapToLong(h -> {
                    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(h.pid()), "task"))) {
                        return tasks.map(t -> ProcStat.read(t.resolve("stat")))
                                .filter(t -> t != null
                                        && (t.name().startsWith("C1 Compiler")
                                                || t.name().startsWith("C2 Compiler")))
                                .mapToLong(ProcStat::cpu)
                                .sum();
                    } catch (IOException gone) {
                        return 0;
                    }
                })
                .sum();
    }

    /** CPU ticks of a process and its descendants (the Payara launcher script and its JVM). */
    static long treeTicks(ProcessHandle root) {
        return tree(root)
                .map(h -> ProcStat.read(Path.of("/proc", Long.toString(h.pid()), "stat")))
                .filter(java.util.Objects::nonNull)
                .mapToLong(ProcStat::cpu)
                .sum();
    }

    private static Stream<ProcessHandle> tree(ProcessHandle root) {
        return Stream.concat(Stream.of(root), root.descendants());
    }
}
