package archfixture.bad.ping;

import archfixture.bad.pong.Pong;

/** Breaks rule (e) with {@link Pong}: two packages that import each other. */
public final class Ping {
    public Pong pong() {
        return new Pong();
    }
}
