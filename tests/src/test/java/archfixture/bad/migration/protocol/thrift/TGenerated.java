package archfixture.bad.migration.protocol.thrift;

import archfixture.bad.migration.protocol.Adapter;

/** Stands for generated Thrift code: allowed by rule (c), and its cycle with {@link Adapter} is ignored by rule (e). */
public final class TGenerated {
    public Adapter back() {
        return new Adapter();
    }
}
