package org.xenpostcopy.xen.emulated;

/** Thrown inside a dying domain's vCPU to unwind it. */
final class DomainDyingException extends RuntimeException {
    DomainDyingException() {
        super(null, null, false, false);
    }
}
