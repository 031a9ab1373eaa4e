package archfixture.bad.migration.daemon;

import io.prometheus.metrics.core.metrics.Counter;

/** Keeps rule (h): the metrics library in the daemon. */
public final class Metrics {
    public Class<?> counter() {
        return Counter.class;
    }
}
