package dev.svidauth.bench.jmh;

import dev.svidauth.bench.ScaleMix;
import dev.svidauth.spiffe.SpiffeId;
import dev.svidauth.spiffe.SpiffeIdIndex;
import dev.svidauth.spiffe.SpiffeIdPattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Client resolution by SPIFFE ID (step 4): the lookup structure behind {@code SvidClientIndex}
 * with 10, 1,000 and 10,000 clients of {@link ScaleMix}, for an exact hit, a prefix hit and a
 * miss; and, for contrast, the linear scan over every client's patterns that the index avoids.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class IndexLookupBenchmark {

    @Param({"10", "1000", "10000"})
    public int clients;

    private SpiffeIdIndex index;
    private List<SpiffeIdPattern> allPatterns;
    private SpiffeId exactHit;
    private SpiffeId prefixHit;
    private SpiffeId miss;

    @Setup
    public void setUp() throws Exception {
        SpiffeIdIndex.Builder b = SpiffeIdIndex.builder();
        allPatterns = new ArrayList<>();
        for (ScaleMix.Client c : ScaleMix.clients(clients)) {
            if (c.spiffeIdAttribute() != null) {
                for (SpiffeIdPattern p : SpiffeIdPattern.parseList(c.spiffeIdAttribute())) {
                    b.add(p, c.clientId());
                    allPatterns.add(p);
                }
            }
        }
        index = b.build();
        exactHit = SpiffeId.parse(ScaleMix.MEASURED_ID);
        prefixHit = SpiffeId.parse(ScaleMix.prefixHitId(clients));
        miss = SpiffeId.parse(ScaleMix.MISS_ID);
        if (index.lookup(exactHit).clientIds().size() != 1 || index.lookup(prefixHit).clientIds().size() != 1
                || !index.lookup(miss).isEmpty()) {
            throw new IllegalStateException("index benchmark data does not resolve as intended");
        }
    }

    @Benchmark
    public SpiffeIdIndex.Matches exactHit() {
        return index.lookup(exactHit);
    }

    @Benchmark
    public SpiffeIdIndex.Matches prefixHit() {
        return index.lookup(prefixHit);
    }

    @Benchmark
    public SpiffeIdIndex.Matches miss() {
        return index.lookup(miss);
    }

    /** What resolution would cost without the index: test every pattern of every client. */
    @Benchmark
    public int linearScanExactHit() {
        int n = 0;
        for (SpiffeIdPattern p : allPatterns) {
            if (p.matches(exactHit)) {
                n++;
            }
        }
        return n;
    }
}
