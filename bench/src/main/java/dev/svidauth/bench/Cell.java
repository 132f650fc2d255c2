package dev.svidauth.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Everything measured for one kind of request at one concurrency, summed over its interleaved rounds. */
final class Cell {

    final String name;
    final int concurrency;
    long ok;
    long errors;
    long elapsedNanos;
    long serverCpuNanos;
    long generatorCpuNanos;
    long machineBusyNanos;
    long unprepared;
    /** Bytes the server allocated during the measured segments; -1 once a segment could not be read. */
    long serverAllocatedBytes;
    /** Connections opened during the measured segments (over HTTPS: TLS handshakes). */
    long connects;
    String firstError;
    final List<Double> perRound = new ArrayList<>();
    private final List<long[]> latencies = new ArrayList<>();
    private long[] sorted;

    Cell(String name, int concurrency) {
        this.name = name;
        this.concurrency = concurrency;
    }

    void add(LoadGenerator.Run run, long serverCpu, long generatorCpu, long machineBusy, long unpreparedRequests) {
        add(run, serverCpu, generatorCpu, machineBusy, unpreparedRequests, -1);
    }

    /** As above, with the bytes the server allocated during the segment ({@code -1}: not measured). */
    void add(LoadGenerator.Run run, long serverCpu, long generatorCpu, long machineBusy, long unpreparedRequests, long serverAllocated) {
        serverAllocatedBytes = serverAllocated < 0 || serverAllocatedBytes < 0 ? -1 : serverAllocatedBytes + serverAllocated;
        ok += run.ok;
        errors += run.errors;
        elapsedNanos += run.elapsedNanos;
        serverCpuNanos += serverCpu;
        generatorCpuNanos += generatorCpu;
        machineBusyNanos += machineBusy;
        unprepared += unpreparedRequests;
        connects += run.connects;
        if (firstError == null) {
            firstError = run.firstError;
        }
        perRound.add(run.throughput());
        latencies.add(run.latencies);
        sorted = null;
    }

    /** This cell's throughput ÷ {@code base}'s, round by round (the segments of one round paired). */
    List<Double> perRoundRatios(Cell base) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < Math.min(perRound.size(), base.perRound.size()); i++) {
            ratios.add(perRound.get(i) / base.perRound.get(i));
        }
        return ratios;
    }

    double throughput() {
        return elapsedNanos == 0 ? 0 : ok / (elapsedNanos / 1e9);
    }

    /** Latency quantile in milliseconds. */
    double latencyMs(double q) {
        if (sorted == null) {
            sorted = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        }
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
        return sorted[i] / 1e6;
    }

    /** Server CPU per successful request, microseconds. */
    double serverCpuPerRequestMicros() {
        return ok == 0 ? Double.NaN : serverCpuNanos / 1e3 / ok;
    }

    /** Server heap allocation per successful request, KB (1,000 bytes); NaN when not measured. */
    double serverAllocatedPerRequestKb() {
        return ok == 0 || serverAllocatedBytes < 0 ? Double.NaN : serverAllocatedBytes / 1e3 / ok;
    }

    double serverCores() {
        return elapsedNanos == 0 ? 0 : (double) serverCpuNanos / elapsedNanos;
    }

    double generatorCores() {
        return elapsedNanos == 0 ? 0 : (double) generatorCpuNanos / elapsedNanos;
    }

    /** CPU used by everything else on the machine (other engineers' builds and servers) while this ran. */
    double otherCores() {
        return elapsedNanos == 0 ? 0 : Math.max(0, (double) (machineBusyNanos - serverCpuNanos - generatorCpuNanos) / elapsedNanos);
    }
}
