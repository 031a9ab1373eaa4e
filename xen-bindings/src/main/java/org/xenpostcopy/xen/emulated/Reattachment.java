package org.xenpostcopy.xen.emulated;

import java.util.ArrayList;
import java.util.List;
import org.xenpostcopy.xen.XenStore;

/** Rebuilds the domains a {@link StateDirectory} holds, for a persistent host that opens it. */
final class Reattachment {
    private Reattachment() {
    }

    /**
     * Every domain of {@code state}, by domid, rebuilt into {@code store}; on failure those already rebuilt are
     * detached again (their files untouched) and the exception names the domain and its directory.
     */
    static List<EmulatedDomain> domains(StateDirectory state, XenStore store) {
        List<EmulatedDomain> out = new ArrayList<>();
        try {
            for (DomainFiles files : state.existing()) {
                out.add(one(files, store));
            }
        } catch (RuntimeException e) {
            out.forEach(EmulatedDomain::detach);
            throw e;
        }
        return out;
    }

    private static EmulatedDomain one(DomainFiles files, XenStore store) {
        DomainRecord r;
        try {
            r = files.read();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot re-attach the domain in " + files.dir() + ": " + e.getMessage(), e);
        }
        DomainPersistence persistence = new DomainPersistence(files, r.config().vcpus());
        try {
            return new EmulatedDomain(r.id(), r.config(), store, false, persistence, r);
        } catch (RuntimeException e) {
            persistence.close();
            throw new IllegalStateException("cannot re-attach " + r.id() + " ('" + r.config().name() + "') from "
                    + files.dir() + ": " + e.getMessage(), e);
        }
    }
}
