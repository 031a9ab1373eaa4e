package archfixture.bad.pong;

import archfixture.bad.ping.Ping;

/** Breaks rule (e) with {@link Ping}. */
public final class Pong {
    public Ping ping() {
        return new Ping();
    }
}
