package archfixture.bad.migration.protocol;

import archfixture.bad.migration.protocol.thrift.TGenerated;
import org.apache.thrift.TException;

/** Allowed by rule (c): Thrift inside migration.protocol; with {@link TGenerated} a cycle rule (e) leaves out. */
public final class Adapter {
    public TGenerated convert() throws TException {
        return new TGenerated();
    }
}
