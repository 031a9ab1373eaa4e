package org.xenpostcopy.xen;

/** The named domain does not exist on this host ({@code ESRCH}). */
public class NoSuchDomainException extends XenException {
    private final DomainId domain;

    public NoSuchDomainException(String call, DomainId domain) {
        super(call, Errno.ESRCH, "no such domain: " + domain);
        this.domain = domain;
    }

    public DomainId domain() {
        return domain;
    }
}
