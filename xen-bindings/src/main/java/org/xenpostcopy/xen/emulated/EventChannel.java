package org.xenpostcopy.xen.emulated;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** One end of an interdomain event channel: a pending bit that a notify sets and a waiter clears. */
final class EventChannel {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition pendingSet = lock.newCondition();
    private boolean pending;
    private boolean closed;

    void notifyPort() {
        lock.lock();
        try {
            pending = true;
            pendingSet.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until pending or the timeout; clears the pending bit. Returns whether it was pending. */
    boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (!pending && !closed) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = pendingSet.awaitNanos(nanos);
            }
            boolean was = pending;
            pending = false;
            return was;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the port was closed: its domain is gone. */
    boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            pendingSet.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
