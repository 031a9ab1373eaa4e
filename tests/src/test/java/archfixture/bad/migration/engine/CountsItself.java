package archfixture.bad.migration.engine;

import io.prometheus.metrics.core.metrics.Counter;

/** Breaks rule (h): the metrics library in the engine. */
public final class CountsItself {
    public Class<?> counter() {
        return Counter.class;
    }
}
