package archfixture.bad.migration.source;

import org.apache.thrift.TException;

/** Breaks rule (c): a Thrift type in the engine. */
public final class Sender {
    public void send() throws TException {
    }
}
